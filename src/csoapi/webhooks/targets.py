"""Where a webhook may be sent: http(s) URLs whose host resolves only to public addresses,
unless ``CSOAPI_WEBHOOK_ALLOW_PRIVATE`` is set. Checked when an endpoint is registered and
again at every delivery, which then connects to the very address it checked (a name that
resolves elsewhere a second time, DNS rebinding, cannot steer the request)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

Resolver = Callable[[str, int], list[str]]


class TargetRefused(ValueError):
    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class Target:
    url: str  # the URL to connect to: the checked address in place of the name
    host_header: str
    sni_hostname: str | None


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefused("A webhook URL is an absolute http or https URL", "invalid_url")
    if parts.username or parts.password:
        raise TargetRefused("A webhook URL carries no user name or password", "invalid_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("The webhook URL's port is not a number", "invalid_url") from None
    return parts.scheme, parts.hostname, port


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(
    url: str, *, allow_private: bool, https_only: bool, resolver: Resolver = system_resolver
) -> Target:
    """The checked target of ``url``, or :class:`TargetRefused` saying why not."""
    scheme, host, port = _split(url)
    if https_only and scheme != "https":
        raise TargetRefused("Webhook URLs must use https in production", "insecure_url")
    try:
        addresses = [host] if _is_ip(host) else resolver(host, port)
    except OSError:
        raise TargetRefused(f"The host {host!r} does not resolve", "unresolvable_host") from None
    if not addresses:
        raise TargetRefused(f"The host {host!r} does not resolve", "unresolvable_host")
    if not allow_private and not all(_public(a) for a in addresses):
        raise TargetRefused(
            "The webhook URL resolves to a private, loopback or link-local address",
            "private_target",
        )
    chosen = addresses[0]
    netloc_host = f"[{chosen}]" if ":" in chosen else chosen
    parts = urlsplit(url)
    default = 443 if scheme == "https" else 80
    netloc = netloc_host if port == default else f"{netloc_host}:{port}"
    host_header = host if port == default else f"{host}:{port}"
    pinned = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(pinned, host_header, host if scheme == "https" and not _is_ip(host) else None)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
