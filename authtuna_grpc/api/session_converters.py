"""Session domain objects → protobuf messages."""

from __future__ import annotations

from authtuna_api.user.v1 import session_service_pb2 as pb

from authtuna_grpc.api.converters import to_proto_user, to_timestamp
from authtuna_grpc.domain.sessions import Session, SignedIn, ValidSession


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


def to_sign_in_response(signed_in: SignedIn) -> pb.SignInResponse:
    return pb.SignInResponse(
        user=to_proto_user(signed_in.user),
        session=pb.SignInSession(
            token=signed_in.token, session=to_proto_session(signed_in.session)
        ),
    )


def to_validate_response(valid: ValidSession) -> pb.ValidateSessionResponse:
    return pb.ValidateSessionResponse(
        user=to_proto_user(valid.user),
        session=to_proto_session(valid.session),
        roles=valid.roles,
        permissions=valid.permissions,
    )
