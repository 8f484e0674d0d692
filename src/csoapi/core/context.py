"""Who is asking, and from where: passed to every service so audit rows can say it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from csoapi.core.config import Settings
from csoapi.core.db import SessionDep
from csoapi.core.security import Principal, authenticate

S = TypeVar("S")


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


async def anonymous_context(request: Request) -> RequestContext:
    return RequestContext(
        principal=getattr(request.state, "principal", None),
        request_id=request_id_of(request),
        source_ip=client_ip(request),
        settings=request.app.state.settings,
    )


async def authenticated_context(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> RequestContext:
    return RequestContext(
        principal=principal,
        request_id=request_id_of(request),
        source_ip=client_ip(request),
        settings=request.app.state.settings,
    )


ContextDep = Annotated[RequestContext, Depends(authenticated_context)]
AnonymousContextDep = Annotated[RequestContext, Depends(anonymous_context)]


def provide(service: Callable[[Any, RequestContext], S]) -> Any:
    """``Depends`` that builds ``service(session, ctx)`` for one request (no singletons):
    ``CallServiceDep = Annotated[CallService, provide(CallService)]``."""

    async def dependency(session: SessionDep, ctx: ContextDep) -> S:
        # async: building a service does no I/O, so it need not take a worker thread
        return service(session, ctx)

    return Depends(dependency)
