"""IP addresses as sortable keys, so "an address or a CIDR" is a range on every database.

A key is the 128-bit IPv6 form of an address as 32 lower-case hex digits; IPv4 addresses
take their IPv4-mapped form (::ffff:a.b.c.d), so 10.0.0.1 and ::ffff:10.0.0.1 share a key.
Keys sort like the addresses, and every network is one contiguous key range.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

ADDRESS_KEY_LENGTH = 32
_IPV4_MAPPED = 0xFFFF << 32


@dataclass(frozen=True)
class AddressRange:
    """Inclusive bounds of a network (or a single address) as keys."""

    first: str
    last: str

    def contains(self, key: str | None) -> bool:
        return key is not None and self.first <= key <= self.last


def _key(value: int, version: int) -> str:
    return format(_IPV4_MAPPED | value if version == 4 else value, "032x")


def _without_zone(text: str) -> str:
    # fe80::1%eth0: the zone names an interface on the peer's side, not part of the address.
    return text.partition("%")[0]


def address_key(address: str | None) -> str | None:
    """The key of an IP address, or None for anything else (e.g. a unix socket peer)."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(_without_zone(address.strip()))
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return _key(int(parsed), parsed.version)


def address_range(text: str) -> AddressRange:
    """The keys an address ("10.1.2.3") or a network ("10.0.0.0/8") covers.

    Raises ValueError when `text` is neither. Host bits in a network are ignored, as
    most tools do: 10.1.2.3/8 means 10.0.0.0/8.
    """
    text = _without_zone(text.strip())
    if "/" not in text:
        key = address_key(text)
        if key is None:
            raise ValueError(f"{text!r} is not an IP address")
        return AddressRange(key, key)
    # An IPv6 network inside ::ffff:0:0/96 needs no special case: IPv4 keys live there.
    network = ipaddress.ip_network(text, strict=False)
    first = _key(int(network.network_address), network.version)
    last = _key(int(network.broadcast_address), network.version)
    return AddressRange(first, last)
