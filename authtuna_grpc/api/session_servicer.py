"""SessionService: each method parses, makes one manager call, converts back."""

from __future__ import annotations

from typing import Any

from authtuna_api.user.v1 import session_service_pb2 as pb
from authtuna_api.user.v1 import session_service_pb2_grpc

from authtuna_grpc.api.interceptors import current_caller
from authtuna_grpc.api.session_converters import (
    to_complete_response,
    to_enrollment_response,
    to_proto_session,
    to_second_factor_response,
    to_sign_in_response,
    to_validate_response,
)
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.sign_in import checked_ip, sign_in_attempt
from authtuna_grpc.services.second_factor import SecondFactorManager
from authtuna_grpc.services.second_step import SecondStepManager
from authtuna_grpc.services.sessions import SessionManager, parse_session_id
from authtuna_grpc.services.sign_in import SignInManager
from authtuna_grpc.services.user_manager import parse_user_id

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information


class SessionServicer(session_service_pb2_grpc.SessionServiceServicer):
    def __init__(
        self,
        sign_ins: SignInManager,
        sessions: SessionManager,
        second_step: SecondStepManager,
        second_factors: SecondFactorManager,
    ) -> None:
        self._sign_ins = sign_ins
        self._sessions = sessions
        self._second_step = second_step
        self._second_factors = second_factors

    async def SignIn(self, request: pb.SignInRequest, context: Context) -> pb.SignInResponse:
        attempt = sign_in_attempt(request.identity, request.password)
        signed_in = await self._sign_ins.sign_in(current_caller(), attempt)
        return to_sign_in_response(signed_in)

    async def SignOut(self, request: pb.SignOutRequest, context: Context) -> pb.SignOutResponse:
        revoked = await self._sessions.sign_out(current_caller(), request.session_token)
        return pb.SignOutResponse(revoked=revoked)

    async def ValidateSession(
        self, request: pb.ValidateSessionRequest, context: Context
    ) -> pb.ValidateSessionResponse:
        return to_validate_response(await self._sessions.validate(request.session_token))

    async def RevokeSession(
        self, request: pb.RevokeSessionRequest, context: Context
    ) -> pb.RevokeSessionResponse:
        session_id = parse_session_id(request.id, "id")
        session = await self._sessions.revoke(current_caller(), session_id)
        return pb.RevokeSessionResponse(session=to_proto_session(session))

    async def RevokeAllSessions(
        self, request: pb.RevokeAllSessionsRequest, context: Context
    ) -> pb.RevokeAllSessionsResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        revoked = await self._sessions.revoke_all(current_caller(), user_id)
        return pb.RevokeAllSessionsResponse(revoked_count=revoked)

    async def ListSessions(
        self, request: pb.ListSessionsRequest, context: Context
    ) -> pb.ListSessionsResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        page = await self._sessions.list(user_id, limit=request.limit, page_token=request.page_token)
        return pb.ListSessionsResponse(
            sessions=[to_proto_session(s) for s in page.sessions],
            next_page_token=page.next_page_token,
        )

    async def ClearSignInLock(
        self, request: pb.ClearSignInLockRequest, context: Context
    ) -> pb.ClearSignInLockResponse:
        target = request.WhichOneof("target")
        if target == "user_id":
            user_id = parse_user_id(request.user_id, "user_id")
            was_locked = await self._sign_ins.clear_account_lock(current_caller(), user_id)
        elif target == "ip_address":
            address = checked_ip(request.ip_address, "ip_address")
            was_locked = await self._sign_ins.clear_ip_lock(current_caller(), address)
        else:
            raise InvalidInput.field("target", "set one of user_id or ip_address")
        return pb.ClearSignInLockResponse(was_locked=was_locked)

    async def CompleteSignIn(
        self, request: pb.CompleteSignInRequest, context: Context
    ) -> pb.CompleteSignInResponse:
        completed = await self._second_step.complete(
            current_caller(), request.challenge_token, request.code
        )
        return to_complete_response(completed)

    async def BeginTotpEnrollment(
        self, request: pb.BeginTotpEnrollmentRequest, context: Context
    ) -> pb.BeginTotpEnrollmentResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        enrollment = await self._second_factors.begin(current_caller(), user_id)
        return to_enrollment_response(enrollment)

    async def ConfirmTotpEnrollment(
        self, request: pb.ConfirmTotpEnrollmentRequest, context: Context
    ) -> pb.ConfirmTotpEnrollmentResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        codes = await self._second_factors.confirm(current_caller(), user_id, request.code)
        return pb.ConfirmTotpEnrollmentResponse(recovery_codes=codes)

    async def RegenerateRecoveryCodes(
        self, request: pb.RegenerateRecoveryCodesRequest, context: Context
    ) -> pb.RegenerateRecoveryCodesResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        codes = await self._second_factors.regenerate(current_caller(), user_id)
        return pb.RegenerateRecoveryCodesResponse(recovery_codes=codes)

    async def GetSecondFactor(
        self, request: pb.GetSecondFactorRequest, context: Context
    ) -> pb.GetSecondFactorResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        return to_second_factor_response(await self._second_factors.status(user_id))

    async def ResetSecondFactor(
        self, request: pb.ResetSecondFactorRequest, context: Context
    ) -> pb.ResetSecondFactorResponse:
        user_id = parse_user_id(request.user_id, "user_id")
        was_enrolled = await self._second_factors.reset(current_caller(), user_id, request.reason)
        return pb.ResetSecondFactorResponse(was_enrolled=was_enrolled)
