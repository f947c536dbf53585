"""The caller's network address, from the gRPC peer string."""

from __future__ import annotations

from urllib.parse import unquote

MAX_ADDRESS_LENGTH = 255


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
