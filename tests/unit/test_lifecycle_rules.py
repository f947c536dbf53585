from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.lifecycle import DeletedUser, optional_reason, required_reason
from authtuna_grpc.domain.user import User
from authtuna_grpc.domain.user_updates import (
    UPDATABLE_FIELDS,
    apply_update,
    change_details,
    check_timing,
    expected_version,
    user_update,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def a_user(**overrides: object) -> User:
    values: dict = dict(
        id=uuid.UUID(int=1), email="ada@example.com", username="ada", has_password=True,
        is_active=True, email_verified=True, is_service_account=False, attributes={"a": "1"},
        created_at=NOW, updated_at=NOW, last_login_at=None, suspended_at=None,
        suspension_reason=None, version=3,
    )
    values.update(overrides)
    return User(**values)


def update(paths: list[str], **values: object):
    defaults: dict = dict(username="", email="", email_verified=False, attributes={}, last_login_at=None)
    defaults.update(values)
    return user_update(paths=paths, **defaults)


def violations(error: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [v.field for v in error.value.violations]


def test_every_problem_of_an_update_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        update(["id", "username", "bogus", "email"], username="x", email="nope")
    assert violations(caught) == [
        "update_mask.paths[0]", "update_mask.paths[2]", "user.username", "user.email"
    ]


def test_values_of_fields_outside_the_mask_are_not_validated() -> None:
    change = update(["email_verified"], username="not valid!", email="nope", email_verified=True)
    assert change.fields == frozenset({"email_verified"})


def test_username_and_email_are_nfkc_normalised() -> None:
    change = update(["username", "email"], username="ｗｉｄｅ", email="ｗ@example.com")
    assert (change.username, change.email) == ("wide", "w@example.com")


def test_only_masked_fields_are_applied() -> None:
    after = apply_update(a_user(), update(["username"], username="grace", email="x@example.com"))
    assert (after.username, after.email, after.attributes) == ("grace", "ada@example.com", {"a": "1"})


def test_changing_the_address_unverifies_it_but_not_a_change_of_case() -> None:
    assert not apply_update(a_user(), update(["email"], email="new@example.com")).email_verified
    assert apply_update(a_user(), update(["email"], email="ADA@example.com")).email_verified
    both = update(["email", "email_verified"], email="new@example.com", email_verified=True)
    assert apply_update(a_user(), both).email_verified


def test_change_details_name_old_and_new_values_of_changed_fields_only() -> None:
    before = a_user()
    after = apply_update(before, update(["attributes", "username"], attributes={"b": "2", "a": "1"}, username="ada"))
    assert change_details(before, after) == {
        "changed_fields": "attributes",
        "attributes.old": '{"a":"1"}',
        "attributes.new": '{"a":"1","b":"2"}',
    }


def test_no_updatable_field_is_secret() -> None:
    assert not any("password" in name or "hash" in name for name in UPDATABLE_FIELDS)


def test_last_login_may_lead_our_clock_by_a_little_but_not_by_much() -> None:
    check_timing(update(["last_login_at"], last_login_at=NOW + timedelta(minutes=4)), NOW)
    with pytest.raises(InvalidInput):
        check_timing(update(["last_login_at"], last_login_at=NOW + timedelta(minutes=6)), NOW)


@pytest.mark.parametrize("etag", ["", "1", "v0", "v01", "v", "v-1", "W/\"v1\"", "v12345678901"])
def test_malformed_etags_are_invalid(etag: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        expected_version(etag)
    assert violations(caught) == ["etag"]


def test_etag_round_trips_through_the_user() -> None:
    assert expected_version(a_user(version=42).etag) == 42


@pytest.mark.parametrize("reason", ["", " \n\t", "x" * 501, "a\x00b", "a\x1bb"])
def test_bad_required_reasons(reason: str) -> None:
    with pytest.raises(InvalidInput):
        required_reason(reason, "reason")


def test_reasons_keep_newlines_and_tabs_and_are_stored_as_given() -> None:
    assert required_reason(" line one\n\tline two ", "reason") == " line one\n\tline two "
    assert optional_reason("", "reason") is None


def test_archive_copies_the_profile_and_has_no_password_field() -> None:
    user = a_user(suspended_at=NOW, suspension_reason="spam")
    record = DeletedUser.archive(user, deleted_at=NOW, deleted_by=None, reason=None)
    assert (record.id, record.email, record.suspension_reason) == (user.id, user.email, "spam")
    assert not any("password" in name for name in DeletedUser.__dataclass_fields__)
