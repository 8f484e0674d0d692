"""The one unit of work: a request's whole database work in one transaction, ended once.

``run_unit(request, work)`` runs ``work(session)`` and commits; on an error it rolls back
and notes the refusal (an audit row in a transaction of its own), or commits anyway when
the error says so (``persist``: a failed-login counter, a reused refresh token's family
revoked). Every route reaches it through ``core.carrier``; nothing else commits.

Where the unit runs is the database's business, not the route's:
- PostgreSQL: on the event loop, in one greenlet over asyncpg (``app.state.unit_factory``).
  Each statement waits on the socket without a worker thread, so a request makes no thread
  or interpreter-lock hand-offs per round trip (on the portal lookup this cut the API's CPU
  per request by about a third against psycopg on worker threads). CPU-heavy steps inside
  hand themselves to a thread (``core.offload``).
- SQLite: on one worker thread (``app.state.session_factory``): its driver has no async mode.

The work is the same synchronous code either way. Units are shielded from cancellation: a
dropped client never leaves a transaction open or a connection checked out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import structlog
from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.driver_errors import not_storable
from csoapi.core.errors import DomainError
from csoapi.core.security import principal_for, token_claims

log = structlog.get_logger("csoapi.unit")
T = TypeVar("T")


async def in_session(request: Request, fn: Callable[[Session], T]) -> T:
    """``fn(session)`` with a fresh session of the app's database, where units run (see the
    module's docstring); ``fn`` owns the session's ending."""
    units: async_sessionmaker[AsyncSession] | None = request.app.state.unit_factory
    with anyio.CancelScope(shield=True):
        if units is None:
            session = request.app.state.session_factory()
            return await anyio.to_thread.run_sync(fn, session)
        async with units() as unit:
            return await unit.run_sync(fn)


async def run_unit(request: Request, work: Callable[[Session], T]) -> T:
    """``work(session)``, then commit; on an error, roll back and note the refusal."""
    return await in_session(request, lambda session: _unit(session, request, work))


def _unit(session: Session, request: Request, work: Callable[[Session], T]) -> T:
    try:
        result = work(session)
    except BaseException as exc:
        _end_failed(session, request, exc)
        raise
    _end_ok(session)
    return result


def _end_ok(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def refusal_of(exc: BaseException) -> tuple[int, str] | None:
    """The status and code an error answers, when it is a refusal worth an audit row: a
    domain error, or a value the database could not store (a 422)."""
    if isinstance(exc, DomainError):
        return exc.status, exc.code
    if not_storable(exc):
        return 422, "value_not_storable"
    return None


def _end_failed(session: Session, request: Request, exc: BaseException) -> None:
    try:
        if isinstance(exc, DomainError) and exc.persist:
            session.commit()
            return
        session.rollback()
        refusal = refusal_of(exc)
        if refusal is not None:
            try:
                audit.refused(session, request, *refusal)
            except SQLAlchemyError:
                session.rollback()
                log.warning("refusal_audit_failed", code=refusal[1])
    finally:
        session.close()


async def record_refused_request(
    request: Request, status: int, code: str, fields: list[str]
) -> None:
    """The refusal row of a request that failed validation before its unit began, in a short
    transaction of its own. Noted only for a caller whose token verifies, its session
    checked in that transaction: a request without valid credentials costs no database work
    and leaves nothing, so a flood of invalid bodies from nobody cannot grow the table; a
    signed-in caller's flood is theirs, on the record, and paced like all their requests."""
    if not audit.noted(request.method, status):
        return
    claims = None
    if getattr(request.state, "principal", None) is None:  # no unit loaded it
        try:
            claims = token_claims(request)
        except DomainError:
            return
    await in_session(request, lambda s: _record_refused(s, request, claims, status, code, fields))


def _record_refused(
    session: Session,
    request: Request,
    claims: dict[str, Any] | None,
    status: int,
    code: str,
    fields: list[str],
) -> None:
    try:
        principal = principal_for(request, session, claims) if claims is not None else None
        audit.refused(session, request, status, code, principal=principal, fields=fields)
    except DomainError:  # the token's sign-in has ended: nobody to note
        session.rollback()
    except SQLAlchemyError:
        session.rollback()
        log.warning("refusal_audit_failed", code=code)
    finally:
        session.close()
