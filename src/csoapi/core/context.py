"""Who is asking, and from where: passed to every service so audit rows can say it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import SecurityScopes
from sqlmodel import Session

from csoapi.core.config import Settings
from csoapi.core.db import SessionDep, run_unit
from csoapi.core.security import (
    Principal,
    authenticate,
    check_scopes,
    oauth2_scheme,
    principal_for,
    token_claims,
)

S = TypeVar("S")
T = TypeVar("T")


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
    """The caller's IP address, as ``core.proxies`` resolved it (trusted proxies only)."""
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


@dataclass(frozen=True, slots=True)
class Gate:
    """A hot route's authentication, finished inside its unit of work (``run_unit``).

    The token is verified before the route runs (a bad or missing one is a 401 before any
    parameter is looked at, as on every other route, and one that does not claim the
    route's scopes a 401 or 403 too); the principal is loaded and the route's scopes checked
    by ``run``, with the unit's own session, so a request makes its authentication and its
    work in one transaction and one greenlet or worker thread."""

    request: Request
    claims: dict[str, Any]
    scopes: tuple[str, ...]

    def context(self, session: Session) -> RequestContext:
        principal = check_scopes(principal_for(self.request, session, self.claims), self.scopes)
        return RequestContext(
            principal=principal,
            request_id=request_id_of(self.request),
            source_ip=client_ip(self.request),
            settings=self.request.app.state.settings,
        )

    async def run(self, service: Callable[[Any, RequestContext], S], work: Callable[[S], T]) -> T:
        """``work(service(session, ctx))`` in one unit: committed on success, rolled back
        (and a refusal audited) on error."""
        return await run_unit(
            self.request, lambda session: work(service(session, self.context(session)))
        )


async def _gate(
    request: Request,
    security_scopes: SecurityScopes,
    _scheme: Annotated[str | None, Depends(oauth2_scheme)] = None,
) -> Gate:
    claims = token_claims(request)
    scopes = tuple(security_scopes.scopes)
    if not set(scopes).issubset(str(claims["scope"]).split()):
        # Refused whatever the database says (a principal holds at most the scopes its token
        # claims): settle 401 or 403 now, as Scoped routes do, before FastAPI validates the
        # parameters and body, so a caller lacking the scope learns nothing of them. A token
        # that claims them goes on to the unit, whose own check is the one that counts.
        gate = Gate(request, claims, scopes)
        await run_unit(request, gate.context)
    return Gate(request, claims, scopes)


def Gated(*scopes: str) -> Any:  # noqa: N802 - reads as a type in signatures
    """``Annotated[Gate, Security(...)]`` for a route whose work runs as one unit; documented
    in OpenAPI with the same security requirement as ``Scoped(*scopes)``."""
    return Annotated[Gate, Security(_gate, scopes=list(scopes))]
