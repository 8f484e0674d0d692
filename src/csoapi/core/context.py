"""Who is asking, and from where: passed to every service so audit rows can say it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from csoapi.core.config import Settings
from csoapi.core.security import Principal


@dataclass(frozen=True, slots=True)
class RequestContext:
    principal: Principal | None
    request_id: str
    source_ip: str | None
    settings: Settings

    @property
    def actor(self) -> Principal:
        """The authenticated caller; services behind an auth gate use this."""
        if self.principal is None:  # pragma: no cover - routes guarantee a principal
            raise RuntimeError("no principal on this request")
        return self.principal


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
