"""Who the client is, for rate limiting: the peer address, or what trusted proxies say it is.

`X-Forwarded-For` is a list that every proxy appends the address it received the request from.
Only the entries added by proxies we run can be believed; anything to their left was written by
whoever sent the request. So the header is read only when the peer itself is a trusted proxy,
from the right, skipping trusted proxies, and the first address that is not one of ours is the
client. A caller who sends their own `X-Forwarded-For` gets nothing from it: their entry sits to
the left of the address our proxy appended.

IPv6 clients are keyed by their /64 network: one subscriber usually holds a whole /64, and
per-address keys would let them take a fresh address for every request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import Request

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# When the server cannot tell who is calling (no peer address, e.g. a Unix socket), every such
# request shares one key: limited together rather than not at all.
UNKNOWN_CLIENT = "unknown"
IPV6_CLIENT_PREFIX = 64


def parse_address(value: str) -> IPAddress | None:
    """An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`."""
    text = value.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has at least two colons
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ClientAddress:
    """The rate-limit key of a request: its client's address (or IPv6 /64 network)."""

    def __init__(self, trusted_proxies: Sequence[IPNetwork]) -> None:
        self.trusted_proxies = tuple(trusted_proxies)

    def __call__(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        return self.resolve(peer, request.headers.getlist("x-forwarded-for"))

    def resolve(self, peer: str | None, forwarded_for: Iterable[str]) -> str:
        address = self.address(peer, forwarded_for)
        return UNKNOWN_CLIENT if address is None else self._key(address)

    def address(self, peer: str | None, forwarded_for: Iterable[str]) -> IPAddress | None:
        """The client's own address (not its /64), as the audit trail records it."""
        address = parse_address(peer) if peer else None
        if address is None:
            return None
        if not self._is_trusted(address):
            return address
        hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            hop_address = parse_address(hop)
            if hop_address is None:
                # A trusted proxy wrote something that is not an address: the last address we
                # can vouch for is the proxy that wrote it.
                break
            address = hop_address
            if not self._is_trusted(address):
                break
        return address

    def peer_is_trusted(self, peer: str | None) -> bool:
        """Whether the connection's peer is one of TRUSTED_PROXIES (whose headers are believed)."""
        address = parse_address(peer) if peer else None
        return address is not None and self._is_trusted(address)

    def _is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted_proxies)

    @staticmethod
    def _key(address: IPAddress) -> str:
        if isinstance(address, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
        return str(address)
