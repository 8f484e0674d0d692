"""Who the caller is on the network: the one address every audit row, log line and rate key
of a request uses.

A request's peer is whoever opened the connection. Behind a reverse proxy that is the
proxy, and the caller's address arrives in ``X-Forwarded-For``, a header anybody can write.
It is read only when the peer is one of the operator's trusted proxies
(``CSOAPI_TRUSTED_PROXIES``; none by default), walking the list from the right: each hop a
trusted proxy added names the one before it, and the first address that is not a trusted
proxy is the caller (entries to its left were written by the caller and prove nothing).
An entry that is not an IP address ends the walk at the last hop known to be sound.

The result is always a plain IP address in its canonical form (at most 39 characters, so
it fits the audit column: a header can never make a request fail) or, when the peer is not
an IP at all (a Unix socket), none. Done here rather than by the server's proxy-header
option, which trusts 127.0.0.1 unless told otherwise and passes a forwarded value on as it
is written; this way every server the app runs under behaves the same.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> list[IPNetwork]:
    """``10.0.0.5, 10.1.0.0/16, fd00::/8`` → networks (an address is a one-address network)."""
    return [
        ipaddress.ip_network(item.strip(), strict=False)
        for item in value.split(",")
        if item.strip()
    ]


def parse_address(value: str | None) -> IPAddress | None:
    """An IP address as a peer or a forwarded hop gives it (``[v6]:port`` and ``v4:port``
    forms too), canonical: IPv4-mapped IPv6 as IPv4, no zone index. Anything else: None."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # IPv4 with a port; bare IPv6 has two colons or more
        text = text.partition(":")[0]
    text = text.partition("%")[0]  # a zone index names an interface of the sender
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: Sequence[IPNetwork]
) -> str | None:
    """The caller's address: the peer, or, when the peer is a trusted proxy, the nearest
    address in ``X-Forwarded-For`` (its values in the order received) that is not one."""
    address = parse_address(peer)
    if address is None:
        return None
    if proxies:
        hops = [hop for value in forwarded_for for hop in value.split(",")]
        for hop in reversed(hops):
            if not _trusted(address, proxies):
                break
            forwarded = parse_address(hop)
            if forwarded is None:
                break
            address = forwarded
    return str(address)


class ClientAddressMiddleware:
    """Sets the ASGI scope's ``client`` to ``client_address(...)`` (port 0 when it came from
    a header), so ``request.client`` means the same thing everywhere downstream."""

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[IPNetwork]) -> None:
        self.app = app
        self.proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            forwarded = [
                value.decode("latin-1")
                for name, value in (scope.get("headers") or ())
                if name == b"x-forwarded-for" and self.proxies
            ]
            host = client_address(peer[0] if peer else None, forwarded, self.proxies)
            if host is None:
                scope["client"] = None
            else:
                own = peer is not None and str(parse_address(peer[0])) == host
                scope["client"] = (host, peer[1] if own and peer else 0)
        await self.app(scope, receive, send)
