"""Who is on the other end: the caller's IP address and its client certificate identities.

The IP is the gRPC peer, unless the peer is a trusted proxy: then `x-forwarded-for` is
read from the right, past every trusted proxy, to the first address that is not one (the
right-most untrusted hop). Hops left of it were written by the client and prove nothing.
A malformed header is ignored as a whole, never half-trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from urllib.parse import unquote

MAX_ADDRESS_LENGTH = 255
MAX_FORWARDED_LENGTH = 2048
MAX_FORWARDED_HOPS = 32

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Certificate identities a service account can be bound to: DNS and URI (e.g. SPIFFE) SANs.
_IDENTITY_PROPERTIES = ("peer_uri", "peer_dns")


def peer_address(peer: str | None) -> str | None:
    """'ipv4:1.2.3.4:5' → '1.2.3.4'; 'ipv6:[::1]:5' (maybe %-encoded) → '::1'; unix kept whole."""
    if not peer:
        return None
    peer = unquote(peer)
    scheme, _, rest = peer.partition(":")
    if scheme == "ipv4":
        host = rest.rpartition(":")[0] or rest
    elif scheme == "ipv6":
        host = rest.rpartition(":")[0] if rest.startswith("[") else rest
        host = host.strip("[]")
    else:
        host = peer
    return host[:MAX_ADDRESS_LENGTH]


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str | None:
    """The caller's IP: the peer, or the right-most untrusted x-forwarded-for hop."""
    address = peer_address(peer)
    if not trusted or not forwarded_for or not _is_trusted(_parse(address), trusted):
        return address
    hops = _hops(forwarded_for)
    if not hops:
        return address
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return str(hop)
    # Every hop is a trusted proxy: the left-most is where the request entered.
    return str(hops[0])


def certificate_identities(auth_context: Mapping[str, Sequence[bytes]]) -> tuple[str, ...]:
    """The URI and DNS SANs of a verified client certificate, if the call has one."""
    if auth_context.get("transport_security_type") != [b"ssl"]:
        return ()
    return tuple(
        value.decode("ascii", "replace")
        for name in _IDENTITY_PROPERTIES
        for value in auth_context.get(name, ())
    )


def _hops(headers: Sequence[str]) -> list[Address] | None:
    joined = ",".join(headers)
    if len(joined) > MAX_FORWARDED_LENGTH:
        return None
    parts = [part.strip() for part in joined.split(",")]
    if len(parts) > MAX_FORWARDED_HOPS:
        return None
    hops = [_parse(part) for part in parts]
    if any(hop is None for hop in hops):
        return None
    return [hop for hop in hops if hop is not None]


def _parse(value: str | None) -> Address | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in trusted)
