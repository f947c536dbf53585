"""SessionService's second factor: TOTP enrolment, recovery codes, the second sign-in step."""

from __future__ import annotations

from authtuna_api.client.calls import AsyncCalls, SyncCalls
from authtuna_api.client.timeouts import DEFAULT, Timeout
from authtuna_api.user.v1 import session_service_pb2 as sessions_pb


class TwoFactorMethods(SyncCalls):
    """The second factor, blocking."""

    def complete_sign_in(
        self, challenge_token: str, code: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.CompleteSignInResponse:
        """Answers SignIn's challenge with a TOTP or recovery code: `.user` and `.session`."""
        request = sessions_pb.CompleteSignInRequest(challenge_token=challenge_token, code=code)
        return self._unary(self.sessions.CompleteSignIn, request, timeout)

    def begin_totp_enrollment(
        self, user_id: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.BeginTotpEnrollmentResponse:
        """A fresh secret and its otpauth:// URI, active once confirmed with a code."""
        request = sessions_pb.BeginTotpEnrollmentRequest(user_id=user_id)
        return self._unary(self.sessions.BeginTotpEnrollment, request, timeout)

    def confirm_totp_enrollment(self, user_id: str, code: str, *, timeout: Timeout = DEFAULT) -> list[str]:
        """Activates the pending secret; returns the ten recovery codes (shown once)."""
        request = sessions_pb.ConfirmTotpEnrollmentRequest(user_id=user_id, code=code)
        return list(self._unary(self.sessions.ConfirmTotpEnrollment, request, timeout).recovery_codes)

    def regenerate_recovery_codes(self, user_id: str, *, timeout: Timeout = DEFAULT) -> list[str]:
        """Replaces the user's recovery codes; returns the new ones (shown once)."""
        request = sessions_pb.RegenerateRecoveryCodesRequest(user_id=user_id)
        return list(self._unary(self.sessions.RegenerateRecoveryCodes, request, timeout).recovery_codes)

    def get_second_factor(
        self, user_id: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.GetSecondFactorResponse:
        """Whether the user is enrolled (or pending) and how many recovery codes are left."""
        request = sessions_pb.GetSecondFactorRequest(user_id=user_id)
        return self._unary(self.sessions.GetSecondFactor, request, timeout)

    def reset_second_factor(self, user_id: str, reason: str, *, timeout: Timeout = DEFAULT) -> bool:
        """Removes the user's second factor (an admin action); True if one was enrolled."""
        request = sessions_pb.ResetSecondFactorRequest(user_id=user_id, reason=reason)
        return bool(self._unary(self.sessions.ResetSecondFactor, request, timeout).was_enrolled)


class AsyncTwoFactorMethods(AsyncCalls):
    """The second factor, asyncio."""

    async def complete_sign_in(
        self, challenge_token: str, code: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.CompleteSignInResponse:
        """Answers SignIn's challenge with a TOTP or recovery code: `.user` and `.session`."""
        request = sessions_pb.CompleteSignInRequest(challenge_token=challenge_token, code=code)
        return await self._unary(self.sessions.CompleteSignIn, request, timeout)

    async def begin_totp_enrollment(
        self, user_id: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.BeginTotpEnrollmentResponse:
        """A fresh secret and its otpauth:// URI, active once confirmed with a code."""
        request = sessions_pb.BeginTotpEnrollmentRequest(user_id=user_id)
        return await self._unary(self.sessions.BeginTotpEnrollment, request, timeout)

    async def confirm_totp_enrollment(self, user_id: str, code: str, *, timeout: Timeout = DEFAULT) -> list[str]:
        """Activates the pending secret; returns the ten recovery codes (shown once)."""
        request = sessions_pb.ConfirmTotpEnrollmentRequest(user_id=user_id, code=code)
        response = await self._unary(self.sessions.ConfirmTotpEnrollment, request, timeout)
        return list(response.recovery_codes)

    async def regenerate_recovery_codes(self, user_id: str, *, timeout: Timeout = DEFAULT) -> list[str]:
        """Replaces the user's recovery codes; returns the new ones (shown once)."""
        request = sessions_pb.RegenerateRecoveryCodesRequest(user_id=user_id)
        response = await self._unary(self.sessions.RegenerateRecoveryCodes, request, timeout)
        return list(response.recovery_codes)

    async def get_second_factor(
        self, user_id: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.GetSecondFactorResponse:
        """Whether the user is enrolled (or pending) and how many recovery codes are left."""
        request = sessions_pb.GetSecondFactorRequest(user_id=user_id)
        return await self._unary(self.sessions.GetSecondFactor, request, timeout)

    async def reset_second_factor(self, user_id: str, reason: str, *, timeout: Timeout = DEFAULT) -> bool:
        """Removes the user's second factor (an admin action); True if one was enrolled."""
        request = sessions_pb.ResetSecondFactorRequest(user_id=user_id, reason=reason)
        return bool((await self._unary(self.sessions.ResetSecondFactor, request, timeout)).was_enrolled)
