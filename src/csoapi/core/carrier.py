"""The one road every route takes: ``carrier(Service, *scopes)`` is the one dependency a
route declares, and ``await unit.run(work)`` is the one call it makes.

What the carrier does, in this order:
1. Before any parameter is validated (a FastAPI dependency): the bearer token's signature
   and claims (401) and the scopes the token claims against the route's (403), with no
   database; the route's scopes appear in OpenAPI as an OAuth2 security requirement. A
   route that declares idempotency reads ``Idempotency-Key`` and fingerprints the body.
2. Inside one unit of work (``core.unit.run_unit``: asyncpg on the event loop on PostgreSQL,
   one worker thread on SQLite), in one transaction: the caller as the database has them
   now (revoked sessions, deactivated accounts and changed roles are 401), the request
   context, the service built for this request, the Idempotency-Key claimed (or its first
   response replayed), ``work(service)``, and the reply rendered (status, ``ETag``,
   ``Location``, the idempotency record completed). Then the commit; on an error the
   rollback and the refusal's audit row.

Routes never touch a session, never commit, never pick a driver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

import pydantic_core
from fastapi import Depends, Request, Security
from fastapi.responses import Response
from fastapi.security import SecurityScopes
from pydantic import BaseModel
from sqlmodel import Session

from csoapi.core.concurrency import etag
from csoapi.core.context import RequestContext, client_ip, request_id_of
from csoapi.core.errors import Forbidden
from csoapi.core.idempotency import (
    Idempotency,
    IdempotencyKeyHeader,
    IdempotencyRequest,
    request_fingerprint,
    stored_headers,
)
from csoapi.core.scopes import ENROLMENT_SCOPE
from csoapi.core.security import check_scopes, claims_scopes, oauth2_scheme, principal_for
from csoapi.core.security import token_claims as verified_claims
from csoapi.core.unit import run_unit

S = TypeVar("S")
IdempotencyMode = Literal["none", "optional", "clients"]
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Reply:
    """A success: the body, its status, and the headers the contract asks for."""

    body: Any
    status: int = 200
    version: int | None = None
    location: str | None = None
    headers: Mapping[str, str] | None = None


def ok(body: Any, *, version: int | None = None, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(body, 200, version, None, headers)


def created(body: Any, *, location: str, version: int | None = None) -> Reply:
    return Reply(body, 201, version, location)


def render(
    result: Reply | BaseModel | Response | Sequence[Any], idem: Idempotency | None
) -> Response:
    """The reply as a response; a keyed request's record is completed with it (in the same
    transaction, before the commit)."""
    if isinstance(result, Response):
        return result
    reply = result if isinstance(result, Reply) else Reply(result)
    body = reply.body
    raw = body.model_dump_json() if isinstance(body, BaseModel) else pydantic_core.to_json(body)
    headers: dict[str, str] = dict(reply.headers or {})
    if reply.version is not None:
        headers["ETag"] = etag(reply.version)
    if reply.location is not None:
        headers["Location"] = reply.location
    if idem is not None:
        text = raw if isinstance(raw, str) else raw.decode()
        idem.complete(reply.status, text, stored_headers(headers | {"content-type": JSON}))
    return Response(raw, status_code=reply.status, headers=headers, media_type=JSON)


class Unit(Generic[S]):
    """One request's way to its service: ``await unit.run(lambda svc: ...)``."""

    __slots__ = ("_claims", "_key", "_make", "_mode", "_request", "_scopes")

    def __init__(
        self,
        request: Request,
        make: Callable[[Session, RequestContext], S],
        claims: dict[str, Any] | None,
        scopes: tuple[str, ...],
        key: IdempotencyRequest | None,
        mode: IdempotencyMode,
    ) -> None:
        self._request = request
        self._make = make
        self._claims = claims
        self._scopes = scopes
        self._key = key
        self._mode = mode

    async def run(
        self, work: Callable[[S], Reply | BaseModel | Response | Sequence[Any]]
    ) -> Response:
        return await run_unit(self._request, lambda session: self._within(session, work))

    def _within(self, session: Session, work: Callable[[S], Any]) -> Response:
        ctx = self._context(session)
        idem = None
        if self._key is not None:
            idem = self._key.begin(session, ctx, required_for_clients=self._mode == "clients")
        return render(work(self._make(session, ctx)), idem)

    def _context(self, session: Session) -> RequestContext:
        request = self._request
        principal = None
        if self._claims is not None:
            principal = check_scopes(principal_for(request, session, self._claims), self._scopes)
        return RequestContext(
            principal=principal,
            request_id=request_id_of(request),
            source_ip=client_ip(request),
            settings=request.app.state.settings,
        )


async def _authorized(
    request: Request,
    security: SecurityScopes,
    service: Callable[[Session, RequestContext], Any],
    enrolment: bool = False,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The verified claims (401 before anything else is looked at) and the route's scopes."""
    claims = verified_claims(request)
    wanted = tuple(security.scopes)
    if not enrolment and claims_scopes(claims, (ENROLMENT_SCOPE,)):
        raise Forbidden(
            "Enrol a second factor first (POST /api/v1/auth/mfa/totp), then sign in with it",
            code="mfa_enrolment_required",
        )
    if not claims_scopes(claims, wanted):
        # Refused whatever the database says (a principal holds at most the scopes its token
        # claims): settled now, before the parameters and body are validated, so a caller
        # without the scope learns nothing of them. In a unit of its own, so an ended sign-in
        # is still a 401 and the refused probe is audited like any other.
        probe = Unit(request, service, claims, wanted, None, "none")
        await run_unit(request, probe._context)
    return claims, wanted


def _dependency(
    service: Callable[[Session, RequestContext], S],
    idempotency: IdempotencyMode,
    enrolment: bool = False,
) -> Callable[..., Any]:
    """The FastAPI dependency behind a carrier: with ``Idempotency-Key`` among its
    parameters (so in OpenAPI) only when the route takes one."""
    if idempotency == "none":

        async def plain(
            request: Request,
            security: SecurityScopes,
            _scheme: Annotated[str | None, Depends(oauth2_scheme)] = None,
        ) -> Unit[S]:
            claims, wanted = await _authorized(request, security, service, enrolment)
            return Unit(request, service, claims, wanted, None, "none")

        return plain

    async def keyed(
        request: Request,
        security: SecurityScopes,
        _scheme: Annotated[str | None, Depends(oauth2_scheme)] = None,
        key: IdempotencyKeyHeader = None,
    ) -> Unit[S]:
        claims, wanted = await _authorized(request, security, service, enrolment)
        # The body is fingerprinted only when there is a key to hold it against.
        fingerprint = "" if key is None else await request_fingerprint(request)
        held = IdempotencyRequest(key, fingerprint, request.method, request.url.path)
        return Unit(request, service, claims, wanted, held, idempotency)

    return keyed


def carrier(
    service: Callable[[Session, RequestContext], S],
    *scopes: str,
    idempotency: IdempotencyMode = "none",
    public: bool = False,
    enrolment: bool = False,
) -> Any:
    """The route's one dependency: ``CallIntake = carrier(CallService, "calls:write",
    idempotency="optional")``, then ``unit: CallIntake`` in the route's signature.

    ``idempotency``: ``optional`` reads ``Idempotency-Key`` (documented on the route);
    ``clients`` also requires it from machine clients (payments). ``public``: no token
    (the token endpoint itself). ``enrolment``: also open to a person whose token only lets
    them enrol a second factor (``ENROLMENT_SCOPE``); every other route refuses that token
    with 403 ``mfa_enrolment_required``."""
    if not public:
        dependency = _dependency(service, idempotency, enrolment)
        return Annotated[Unit[S], Security(dependency, scopes=list(scopes))]
    if scopes or idempotency != "none":
        raise ValueError("a public route has no scopes and no idempotency")

    async def anonymous(request: Request) -> Unit[S]:
        return Unit(request, service, None, (), None, "none")

    return Annotated[Unit[S], Depends(anonymous)]
