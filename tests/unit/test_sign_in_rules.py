from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.rpc import error_details_pb2

from authtuna_grpc.api.errors import to_status
from authtuna_grpc.domain.errors import InvalidInput, SignInLocked
from authtuna_grpc.domain.sessions import Session, SessionPolicy
from authtuna_grpc.domain.sign_in import ThrottleKey, retry_delay, sign_in_attempt

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_identity_with_at_sign_is_an_email_else_a_username() -> None:
    assert sign_in_attempt("a@example.com", "pw").kind == "email"
    assert sign_in_attempt("alice", "pw").kind == "username"


@pytest.mark.parametrize("password", ["x" * 1025, "has\x00nul"])
def test_passwords_no_one_can_have_are_invalid_input(password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_in_attempt("alice", password)
    assert [v.field for v in caught.value.violations] == ["password"]


def test_other_control_characters_are_left_to_verification() -> None:
    assert sign_in_attempt("alice", "tab\there").password == "tab\there"


def test_unknown_identities_are_counted_by_digest_case_insensitively() -> None:
    key = ThrottleKey.identity("Ghost@Example.com")
    assert key == ThrottleKey.identity("ghost@example.com")
    assert "ghost" not in key.subject and len(key.subject) == 64


def test_ip_addresses_are_counted_in_one_spelling() -> None:
    assert ThrottleKey.ip("0:0::1") == ThrottleKey.ip("::1")
    assert ThrottleKey.ip("unix:/tmp/socket").subject == "unix:/tmp/socket"


def test_retry_delay_rounds_up_to_whole_seconds_and_is_never_zero() -> None:
    assert retry_delay(NOW + timedelta(seconds=1.2), NOW) == timedelta(seconds=2)
    assert retry_delay(NOW, NOW) == timedelta(seconds=1)


def test_status_carries_retry_info_when_the_error_has_a_delay() -> None:
    status = to_status(SignInLocked("locked", retry_delay=timedelta(seconds=90)))
    infos = [d for d in status.details if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
    assert len(infos) == 1
    info = error_details_pb2.RetryInfo()
    infos[0].Unpack(info)
    assert info.retry_delay.seconds == 90


def _session(last_seen_at: datetime) -> Session:
    return Session(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        created_at=NOW,
        last_seen_at=last_seen_at,
        expires_at=NOW + timedelta(hours=1),
        idle_expires_at=NOW + timedelta(minutes=10),
        ip_address=None,
    )


def test_refresh_never_slides_past_the_absolute_expiry() -> None:
    policy = SessionPolicy(timedelta(hours=1), timedelta(minutes=10), timedelta(minutes=1))
    later = NOW + timedelta(minutes=55)
    assert policy.refreshed(_session(NOW), later).idle_expires_at == NOW + timedelta(hours=1)


def test_a_short_idle_timeout_refreshes_more_often_than_the_interval() -> None:
    policy = SessionPolicy(timedelta(hours=1), timedelta(seconds=10), timedelta(minutes=1))
    assert not policy.needs_refresh(_session(NOW), NOW + timedelta(seconds=4))
    assert policy.needs_refresh(_session(NOW), NOW + timedelta(seconds=5))
