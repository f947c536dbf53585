"""ComplianceService methods: data export, consent records, audit verification, import."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from authtuna_api.client.calls import AsyncCalls, SyncCalls
from authtuna_api.client.streams import aflatten, flatten
from authtuna_api.client.timeouts import DEFAULT, Timeout, resolve
from authtuna_api.user.v1 import compliance_pb2
from authtuna_api.user.v1 import compliance_service_pb2 as compliance_pb

IMPORT_BATCH = 500


def _batches(
    users: Iterable[compliance_pb2.ImportedUser], validate_only: bool
) -> Iterator[compliance_pb.ImportUsersRequest]:
    batch: list[compliance_pb2.ImportedUser] = []
    for user in users:
        batch.append(user)
        if len(batch) == IMPORT_BATCH:
            yield compliance_pb.ImportUsersRequest(users=batch, validate_only=validate_only)
            batch = []
    if batch:
        yield compliance_pb.ImportUsersRequest(users=batch, validate_only=validate_only)


async def _abatches(
    users: Iterable[compliance_pb2.ImportedUser] | AsyncIterable[compliance_pb2.ImportedUser],
    validate_only: bool,
) -> AsyncIterator[compliance_pb.ImportUsersRequest]:
    if isinstance(users, AsyncIterable):
        batch: list[compliance_pb2.ImportedUser] = []
        async for user in users:
            batch.append(user)
            if len(batch) == IMPORT_BATCH:
                yield compliance_pb.ImportUsersRequest(users=batch, validate_only=validate_only)
                batch = []
        if batch:
            yield compliance_pb.ImportUsersRequest(users=batch, validate_only=validate_only)
    else:
        for request in _batches(users, validate_only):
            yield request


def _sections(response: compliance_pb.ExportUserDataResponse) -> list[compliance_pb.ExportUserDataResponse]:
    return [response]


class ComplianceMethods(SyncCalls):
    """ComplianceService, blocking."""

    def export_user_data(
        self, user_id: str, *, timeout: Timeout = DEFAULT
    ) -> Iterator[compliance_pb.ExportUserDataResponse]:
        """Everything held about the user, section by section (profile first, summary last)."""
        request = compliance_pb.ExportUserDataRequest(user_id=user_id)
        return self._stream(self.compliance.ExportUserData, request, _sections, timeout)

    def grant_consent(
        self, user_id: str, purpose: str, version: str, *, timeout: Timeout = DEFAULT
    ) -> compliance_pb.GrantConsentResponse:
        request = compliance_pb.GrantConsentRequest(user_id=user_id, purpose=purpose, version=version)
        return self._unary(self.compliance.GrantConsent, request, timeout)

    def withdraw_consent(
        self, user_id: str, purpose: str, *, timeout: Timeout = DEFAULT
    ) -> compliance_pb2.Consent:
        request = compliance_pb.WithdrawConsentRequest(user_id=user_id, purpose=purpose)
        return self._unary(self.compliance.WithdrawConsent, request, timeout).consent

    def list_consents(
        self, user_id: str, *, purpose: str = "", active_only: bool = False, limit: int = 0,
        page_token: str = "", timeout: Timeout = DEFAULT,
    ) -> compliance_pb.ListConsentsResponse:
        """One page of the user's consent history, with `next_page_token`."""
        request = compliance_pb.ListConsentsRequest(
            user_id=user_id, purpose=purpose, active_only=active_only, limit=limit, page_token=page_token
        )
        return self._unary(self.compliance.ListConsents, request, timeout)

    def verify_audit_log(
        self, *, from_event_id: int = 0, to_event_id: int = 0, timeout: Timeout = DEFAULT
    ) -> compliance_pb.VerifyAuditLogResponse:
        """Walks the audit hash chain; `.intact`, or `.first_break` naming the broken event."""
        request = compliance_pb.VerifyAuditLogRequest(from_event_id=from_event_id, to_event_id=to_event_id)
        return self._unary(self.compliance.VerifyAuditLog, request, timeout)

    def import_users(
        self, users: Iterable[compliance_pb2.ImportedUser], *, validate_only: bool = False,
        timeout: Timeout = DEFAULT,
    ) -> Iterator[compliance_pb2.ImportUserResult]:
        """Imports users (sent in batches), yielding one result per row as the server answers."""
        call = self.compliance.ImportUsers(
            _batches(users, validate_only), timeout=resolve(timeout, self._stream_timeout)
        )
        return flatten(call, lambda response: response.results)


class AsyncComplianceMethods(AsyncCalls):
    """ComplianceService, asyncio."""

    def export_user_data(
        self, user_id: str, *, timeout: Timeout = DEFAULT
    ) -> AsyncIterator[compliance_pb.ExportUserDataResponse]:
        """Everything held about the user, section by section (profile first, summary last)."""
        request = compliance_pb.ExportUserDataRequest(user_id=user_id)
        return self._stream(self.compliance.ExportUserData, request, _sections, timeout)

    async def grant_consent(
        self, user_id: str, purpose: str, version: str, *, timeout: Timeout = DEFAULT
    ) -> compliance_pb.GrantConsentResponse:
        request = compliance_pb.GrantConsentRequest(user_id=user_id, purpose=purpose, version=version)
        return await self._unary(self.compliance.GrantConsent, request, timeout)

    async def withdraw_consent(
        self, user_id: str, purpose: str, *, timeout: Timeout = DEFAULT
    ) -> compliance_pb2.Consent:
        request = compliance_pb.WithdrawConsentRequest(user_id=user_id, purpose=purpose)
        return (await self._unary(self.compliance.WithdrawConsent, request, timeout)).consent

    async def list_consents(
        self, user_id: str, *, purpose: str = "", active_only: bool = False, limit: int = 0,
        page_token: str = "", timeout: Timeout = DEFAULT,
    ) -> compliance_pb.ListConsentsResponse:
        """One page of the user's consent history, with `next_page_token`."""
        request = compliance_pb.ListConsentsRequest(
            user_id=user_id, purpose=purpose, active_only=active_only, limit=limit, page_token=page_token
        )
        return await self._unary(self.compliance.ListConsents, request, timeout)

    async def verify_audit_log(
        self, *, from_event_id: int = 0, to_event_id: int = 0, timeout: Timeout = DEFAULT
    ) -> compliance_pb.VerifyAuditLogResponse:
        """Walks the audit hash chain; `.intact`, or `.first_break` naming the broken event."""
        request = compliance_pb.VerifyAuditLogRequest(from_event_id=from_event_id, to_event_id=to_event_id)
        return await self._unary(self.compliance.VerifyAuditLog, request, timeout)

    def import_users(
        self,
        users: Iterable[compliance_pb2.ImportedUser] | AsyncIterable[compliance_pb2.ImportedUser],
        *,
        validate_only: bool = False,
        timeout: Timeout = DEFAULT,
    ) -> AsyncIterator[compliance_pb2.ImportUserResult]:
        """Imports users (sent in batches), yielding one result per row as the server answers."""
        call = self.compliance.ImportUsers(
            _abatches(users, validate_only), timeout=resolve(timeout, self._stream_timeout)
        )
        return aflatten(call, lambda response: response.results)
