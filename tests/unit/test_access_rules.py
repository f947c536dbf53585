from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from authtuna_grpc.api.peers import certificate_identities, client_address
from authtuna_grpc.config import Settings
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.credentials import check_san, needs_last_used_update
from authtuna_grpc.domain.errors import InvalidInput, PrivilegeEscalation
from authtuna_grpc.domain.roles import check_grantable, check_scope, new_role

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "address"),
    [
        ("ipv4:192.0.2.1:5000", ["203.0.113.9"], "192.0.2.1"),
        ("ipv4:10.0.0.5:5000", [], "10.0.0.5"),
        ("ipv4:10.0.0.5:5000", ["198.51.100.1, 203.0.113.9"], "203.0.113.9"),
        ("ipv4:10.0.0.5:5000", ["203.0.113.9, 10.9.9.9, 10.8.8.8"], "203.0.113.9"),
        ("ipv6:[fd00::1]:5000", ["2001:db8::5"], "2001:db8::5"),
        ("ipv6:[::ffff:10.0.0.5]:5000", ["203.0.113.9"], "203.0.113.9"),
        ("ipv4:10.0.0.5:5000", ["::ffff:203.0.113.9"], "203.0.113.9"),
        ("ipv4:10.0.0.5:5000", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),
        ("ipv4:10.0.0.5:5000", ["203.0.113.9, bogus"], "10.0.0.5"),
        ("ipv4:10.0.0.5:5000", [""], "10.0.0.5"),
        ("unix:/run/authtuna.sock", ["203.0.113.9"], "unix:/run/authtuna.sock"),
    ],
)
def test_client_address_believes_only_trusted_proxies(peer: str, forwarded: list[str], address: str) -> None:
    assert client_address(peer, forwarded, TRUSTED) == address


def test_client_address_without_trusted_proxies_is_the_peer() -> None:
    assert client_address("ipv4:10.0.0.5:1", ["203.0.113.9"], ()) == "10.0.0.5"


def test_certificate_identities_are_uri_and_dns_sans_of_tls_calls_only() -> None:
    context = {
        "transport_security_type": [b"ssl"],
        "peer_uri": [b"spiffe://example.org/billing"],
        "peer_dns": [b"billing.internal"],
        "x509_common_name": [b"billing"],
    }
    assert certificate_identities(context) == ("spiffe://example.org/billing", "billing.internal")
    assert certificate_identities({**context, "transport_security_type": [b"insecure"]}) == ()
    assert certificate_identities({}) == ()


@pytest.mark.parametrize(
    ("scope", "stored"),
    [("", "global"), ("global", "global"), ("project:web-app", "project:web-app"), ("org:acme:team/Front_End", "org:acme:team/Front_End")],
)
def test_valid_scopes_are_kept_exactly(scope: str, stored: str) -> None:
    assert check_scope(scope, "scope") == stored


@pytest.mark.parametrize("scope", ["Global", "web-app", "Project:x", "project:", ":x", "project:a b", "p:é", "p:" + "x" * 127])
def test_malformed_scopes_are_refused(scope: str) -> None:
    with pytest.raises(InvalidInput):
        check_scope(scope, "scope")


def test_new_role_names_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        new_role(name="1st", description="", permissions=["users.read", "everything"])
    assert [v.field for v in caught.value.violations] == ["name", "permissions[1]"]


def test_a_caller_can_grant_only_what_it_holds() -> None:
    caller = Caller(uuid.uuid4(), frozenset({"roles.manage", "users.read"}), None, "r")
    check_grantable(caller, {"users.read"})
    with pytest.raises(PrivilegeEscalation) as caught:
        check_grantable(caller, {"users.read", "users.delete", "audit.read"})
    assert caught.value.metadata == {"permission": "audit.read"}


@pytest.mark.parametrize("san", ["billing.internal", "localhost", "spiffe://example.org/ns/a/sa/b", "urn:example:svc"])
def test_dns_names_and_uris_can_be_bound(san: str) -> None:
    assert check_san(san) == san


@pytest.mark.parametrize("san", ["", "has space", "bad..dots", "-x.internal", "é.internal", "x" * 513])
def test_other_identities_cannot_be_bound(san: str) -> None:
    with pytest.raises(InvalidInput):
        check_san(san)


def test_last_use_is_written_at_most_once_a_minute() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert needs_last_used_update(None, now)
    assert not needs_last_used_update(now - timedelta(seconds=59), now)
    assert needs_last_used_update(now - timedelta(seconds=60), now)


def test_trusted_proxies_setting_is_a_comma_separated_list_of_networks(monkeypatch) -> None:
    monkeypatch.setenv("AUTHTUNA_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1 ,::1")
    settings = Settings()
    assert settings.trusted_proxy_networks == (
        ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128"),
    )


@pytest.mark.parametrize("value", ["10.0.0.1/8", "everyone", "10.0.0.0/33"])
def test_a_bad_trusted_proxy_is_refused(monkeypatch, value: str) -> None:
    monkeypatch.setenv("AUTHTUNA_TRUSTED_PROXIES", value)
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(
    "tls",
    [{"tls_cert": "c.pem"}, {"tls_key": "k.pem"}, {"tls_client_ca": "ca.pem"}, {"tls_key": "k.pem", "tls_client_ca": "ca.pem"}],
)
def test_incomplete_tls_settings_are_refused(tls: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings(**tls)
