from __future__ import annotations

import uuid

import pytest

from authtuna_grpc.api.peers import peer_address
from authtuna_grpc.domain.errors import InvalidInput, InvalidPageToken, WeakPassword
from authtuna_grpc.domain.paging import decode_page_token, encode_page_token, page_request
from authtuna_grpc.domain.user import identity_key, new_user


@pytest.mark.parametrize(
    ("peer", "address"),
    [
        ("ipv4:127.0.0.1:50123", "127.0.0.1"),
        ("ipv6:[::1]:50123", "::1"),
        ("ipv6:%5B2001:db8::7%5D:443", "2001:db8::7"),
        ("unix:/tmp/authtuna.sock", "unix:/tmp/authtuna.sock"),
        ("", None),
    ],
)
def test_peer_address_forms(peer: str, address: str | None) -> None:
    assert peer_address(peer) == address


def test_page_token_round_trips() -> None:
    value = uuid.uuid4()
    assert decode_page_token(encode_page_token(value)) == value


@pytest.mark.parametrize("token", ["", "!!!", "e30", "eyJ2IjoxLCJhZnRlciI6IngifQ", "A" * 600])
def test_page_token_garbage_is_invalid(token: str) -> None:
    with pytest.raises(InvalidPageToken):
        decode_page_token(token)


def test_zero_limit_means_default_page() -> None:
    assert page_request(skip=0, limit=0, page_token="").limit == 100


def test_identity_key_folds_case_and_width() -> None:
    assert identity_key("ＡｄＡ") == identity_key("ada") == "ada"
    assert identity_key("STRASSE") == identity_key("strasse")


def test_registration_normalises_to_nfkc() -> None:
    user = new_user(email="ｘ@example.com", username="ｗｉｄｅ", password=None, attributes={})
    assert (user.email, user.username) == ("x@example.com", "wide")


def test_password_alone_bad_is_weak_password() -> None:
    with pytest.raises(WeakPassword):
        new_user(email="a@example.com", username="abc", password="short", attributes={})


def test_several_bad_fields_are_all_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        new_user(email="bad", username="!", password="short", attributes={})
    assert [v.field for v in caught.value.violations] == ["email", "username", "password"]


@pytest.mark.parametrize(
    "email",
    ["a@b", "a..b@example.com", ".a@example.com", "a@-x.com", "a@example.123", "é@example.com", "a@b@c.com"],
)
def test_malformed_emails_are_rejected(email: str) -> None:
    with pytest.raises(InvalidInput):
        new_user(email=email, username="abc", password=None, attributes={})


def test_long_password_within_limit_is_accepted() -> None:
    assert new_user(email="a@example.com", username="abc", password="Aa1" * 300, attributes={})
