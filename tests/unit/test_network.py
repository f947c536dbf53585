from __future__ import annotations

import pytest

from authtuna_grpc.domain.network import address_key, address_range


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("10.0.0.1", "00000000000000000000ffff0a000001"),
        ("::ffff:10.0.0.1", "00000000000000000000ffff0a000001"),
        ("2001:db8::1", "20010db8000000000000000000000001"),
        ("fe80::1%eth0", "fe800000000000000000000000000001"),
        (" 192.0.2.7 ", "00000000000000000000ffffc0000207"),
        ("unix:/run/authtuna.sock", None),
        ("", None),
        (None, None),
        ("999.1.1.1", None),
    ],
)
def test_address_key_is_the_ipv6_form_in_hex(address, key) -> None:
    assert address_key(address) == key


def test_keys_sort_like_addresses() -> None:
    ordered = ["0.0.0.0", "10.0.0.2", "10.0.0.10", "192.168.1.1", "255.255.255.255", "2001:db8::1", "ffff::"]
    keys = [address_key(a) for a in ordered]
    assert keys == sorted(keys)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("network", "inside", "outside"),
    [
        ("10.1.2.0/24", ["10.1.2.0", "10.1.2.255", "::ffff:10.1.2.9"], ["10.1.3.0", "10.1.1.255", "2001:db8::1"]),
        ("10.1.2.3/8", ["10.0.0.0", "10.255.255.255"], ["11.0.0.0", "9.255.255.255"]),
        ("2001:db8::/32", ["2001:db8::", "2001:db8:ffff::1"], ["2001:db9::", "10.0.0.1"]),
        ("::ffff:10.0.0.0/104", ["10.0.0.1", "10.9.9.9"], ["11.0.0.1"]),
        ("192.0.2.7", ["192.0.2.7", "::ffff:192.0.2.7"], ["192.0.2.8"]),
        ("0.0.0.0/0", ["0.0.0.0", "255.255.255.255"], ["::1", "2001:db8::1"]),
    ],
)
def test_address_range_covers_exactly_its_network(network, inside, outside) -> None:
    covered = address_range(network)
    assert all(covered.contains(address_key(a)) for a in inside)
    assert not any(covered.contains(address_key(a)) for a in outside)
    assert not covered.contains(None)


@pytest.mark.parametrize("text", ["10.0.0.0/33", "example.com", "10.0.0", "/8", "2001:db8::/129", ""])
def test_address_range_rejects_what_is_not_an_address_or_network(text) -> None:
    with pytest.raises(ValueError):
        address_range(text)
