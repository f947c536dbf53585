"""Session domain objects → protobuf messages."""

from __future__ import annotations

from authtuna_api.user.v1 import session_service_pb2 as pb

from authtuna_grpc.api.converters import to_proto_user, to_timestamp
from authtuna_grpc.domain.sessions import Session, SignedIn, ValidSession
from authtuna_grpc.domain.two_factor import (
    TOTP_DIGITS,
    TOTP_PERIOD_SECONDS,
    Enrollment,
    IssuedChallenge,
    SecondFactorStatus,
)
from authtuna_grpc.services.second_step import CompletedSignIn


def to_proto_session(session: Session) -> pb.Session:
    message = pb.Session(
        id=str(session.id),
        user_id=str(session.user_id),
        created_at=to_timestamp(session.created_at),
        last_seen_at=to_timestamp(session.last_seen_at),
        expires_at=to_timestamp(session.expires_at),
        ip_address=session.ip_address or "",
    )
    if session.idle_expires_at is not None:
        message.idle_expires_at.CopyFrom(to_timestamp(session.idle_expires_at))
    return message


def to_sign_in_session(signed_in: SignedIn) -> pb.SignInSession:
    return pb.SignInSession(token=signed_in.token, session=to_proto_session(signed_in.session))


def to_sign_in_response(result: SignedIn | IssuedChallenge) -> pb.SignInResponse:
    if isinstance(result, IssuedChallenge):
        challenge = pb.SignInChallenge(token=result.token, expires_at=to_timestamp(result.expires_at))
        return pb.SignInResponse(challenge=challenge)
    return pb.SignInResponse(user=to_proto_user(result.user), session=to_sign_in_session(result))


def to_complete_response(completed: CompletedSignIn) -> pb.CompleteSignInResponse:
    return pb.CompleteSignInResponse(
        user=to_proto_user(completed.signed_in.user),
        session=to_sign_in_session(completed.signed_in),
        used_recovery_code=completed.used_recovery_code,
        recovery_codes_remaining=completed.recovery_codes_remaining,
    )


def to_enrollment_response(enrollment: Enrollment) -> pb.BeginTotpEnrollmentResponse:
    return pb.BeginTotpEnrollmentResponse(
        secret=enrollment.secret,
        provisioning_uri=enrollment.provisioning_uri,
        digits=TOTP_DIGITS,
        period_seconds=TOTP_PERIOD_SECONDS,
    )


def to_second_factor_response(status: SecondFactorStatus) -> pb.GetSecondFactorResponse:
    message = pb.GetSecondFactorResponse(
        totp_enrolled=status.totp_enrolled,
        enrollment_pending=status.enrollment_pending,
        recovery_codes_remaining=status.recovery_codes_remaining,
    )
    if status.enrolled_at is not None:
        message.enrolled_at.CopyFrom(to_timestamp(status.enrolled_at))
    return message


def to_validate_response(valid: ValidSession) -> pb.ValidateSessionResponse:
    return pb.ValidateSessionResponse(
        user=to_proto_user(valid.user),
        session=to_proto_session(valid.session),
        roles=valid.roles,
        permissions=valid.permissions,
    )
