"""ComplianceService: each method parses, makes one manager call, converts back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from authtuna_api.user.v1 import compliance_service_pb2 as pb
from authtuna_api.user.v1 import compliance_service_pb2_grpc

from authtuna_grpc.api.compliance_converters import (
    to_export_messages,
    to_proto_consent,
    to_proto_import_result,
    to_raw_import_row,
    to_verify_response,
)
from authtuna_grpc.api.interceptors import current_caller
from authtuna_grpc.domain.consents import checked_purpose, consent_grant
from authtuna_grpc.services.audit_verification import AuditVerifier
from authtuna_grpc.services.consents import ConsentManager
from authtuna_grpc.services.exports import UserDataExporter
from authtuna_grpc.services.imports import UserImporter
from authtuna_grpc.services.user_manager import parse_user_id

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information


class ComplianceServicer(compliance_service_pb2_grpc.ComplianceServiceServicer):
    def __init__(
        self,
        exporter: UserDataExporter,
        consents: ConsentManager,
        verifier: AuditVerifier,
        importer: UserImporter,
    ) -> None:
        self._exporter = exporter
        self._consents = consents
        self._verifier = verifier
        self._importer = importer

    async def ExportUserData(
        self, request: pb.ExportUserDataRequest, context: Context
    ) -> AsyncIterator[pb.ExportUserDataResponse]:
        user_id = parse_user_id(request.user_id, "user_id")
        async for part in self._exporter.export(current_caller(), user_id):
            for message in to_export_messages(part):
                yield message

    async def GrantConsent(
        self, request: pb.GrantConsentRequest, context: Context
    ) -> pb.GrantConsentResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        grant = consent_grant(request.purpose, request.version)
        granted = await self._consents.grant(current_caller(), user_id, grant)
        response = pb.GrantConsentResponse(consent=to_proto_consent(granted.consent))
        if granted.superseded is not None:
            response.superseded.CopyFrom(to_proto_consent(granted.superseded))
        return response

    async def WithdrawConsent(
        self, request: pb.WithdrawConsentRequest, context: Context
    ) -> pb.WithdrawConsentResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        purpose = checked_purpose(request.purpose)
        consent = await self._consents.withdraw(current_caller(), user_id, purpose)
        return pb.WithdrawConsentResponse(consent=to_proto_consent(consent))

    async def ListConsents(
        self, request: pb.ListConsentsRequest, context: Context
    ) -> pb.ListConsentsResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        purpose = checked_purpose(request.purpose) if request.purpose else None
        page = await self._consents.list(
            user_id,
            purpose=purpose,
            in_force_only=request.active_only,
            limit=request.limit,
            page_token=request.page_token,
        )
        return pb.ListConsentsResponse(
            consents=[to_proto_consent(c) for c in page.consents], next_page_token=page.next_page_token
        )

    async def VerifyAuditLog(
        self, request: pb.VerifyAuditLogRequest, context: Context
    ) -> pb.VerifyAuditLogResponse:
        report = await self._verifier.verify(request.from_event_id, request.to_event_id)
        return to_verify_response(report)

    async def ImportUsers(
        self, request_iterator: AsyncIterator[pb.ImportUsersRequest], context: Context
    ) -> AsyncIterator[pb.ImportUsersResponse]:
        run = self._importer.start(current_caller())
        batches = (
            ([to_raw_import_row(user) for user in request.users], request.validate_only)
            async for request in request_iterator
        )
        async for results in run.import_batches(batches):
            yield pb.ImportUsersResponse(results=[to_proto_import_result(r) for r in results])
