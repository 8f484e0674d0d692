"""/healthz (process up), /readyz (database reachable over the connection units use, and
schema at Alembic head), and /metrics (Prometheus, when the installation enables it)."""

from __future__ import annotations

import hmac
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from csoapi.core.errors import NotFound, ServiceUnavailable, Unauthorized
from csoapi.core.metrics import CONTENT_TYPE, DatabaseState, pool_usage
from csoapi.core.migrate import current_revisions
from csoapi.core.models import utcnow
from csoapi.core.problems import error_responses
from csoapi.core.unit import in_session
from csoapi.webhooks.repository import backlog

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    schema_revision: str


@router.get(
    "/healthz",
    operation_id="health_live",
    summary="The process is up",
    description="For a load balancer's or orchestrator's liveness probe: 200 while the "
    "process serves, without touching the database, and never held back by admission "
    "control (so a busy process is not restarted for being busy).",
    response_model=Health,
)
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="health_ready",
    summary="The database answers and its schema is at the newest migration",
    description="For a readiness probe: 200 with the database kind and schema revision "
    "once the database answers over the connection requests use and its schema is at "
    "this release's Alembic head; else 503 `database_unreachable` or "
    "`schema_not_at_head` (run `csoapi migrate`). Route traffic only to ready processes.",
    response_model=Ready,
    responses=error_responses(503),
)
async def readyz(request: Request) -> Ready:
    heads: frozenset[str] = request.app.state.schema_heads
    try:
        current, dialect = await in_session(request, _revisions)
    except SQLAlchemyError:
        raise ServiceUnavailable(
            "The database is unreachable", code="database_unreachable"
        ) from None
    if current != heads:
        raise ServiceUnavailable(
            "The database schema is not at the newest migration; run `csoapi migrate`",
            code="schema_not_at_head",
        )
    return Ready(status="ok", database=dialect, schema_revision=",".join(sorted(current)))


def _revisions(session: Session) -> tuple[frozenset[str], str]:
    """Read over the connection units use (asyncpg on PostgreSQL), without taking SQLite's
    write lock."""
    try:
        conn = session.connection(execution_options={"csoapi_read_only": True})
        return current_revisions(conn), conn.dialect.name
    finally:
        session.rollback()
        session.close()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """This process's request counts and latencies in Prometheus' text format, with its
    database pool's use and the outbox's lag read at the scrape. Off (404)
    unless ``CSOAPI_METRICS_ENABLED``; with ``CSOAPI_METRICS_TOKEN`` set, only to a scraper
    sending it as a bearer token (401 otherwise). Not in the contract: it is for operators,
    not integrators."""
    settings = request.app.state.settings
    if not settings.metrics_enabled:
        raise NotFound("No resource at this path")
    token = settings.metrics_token
    if token is not None:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.get_secret_value().encode()):
            raise Unauthorized("The metrics need the scraper's token")
    state = await in_session(request, _database_state)
    return Response(request.app.state.metrics.render(state), media_type=CONTENT_TYPE)


def _database_state(session: Session) -> DatabaseState:
    """The pool read before this scrape takes its own connection, then the worker's backlog
    in one read-only statement; a database that does not answer is ``up`` 0, not a 500."""
    try:
        pool = pool_usage(session.get_bind().pool)
        try:
            session.connection(execution_options={"csoapi_read_only": True})
            unfanned, undelivered, pending = backlog(session)
        except SQLAlchemyError:
            return DatabaseState(up=False, pool=pool)
        now = utcnow()
        lag = {"fan_out": _age(unfanned, now), "delivery": _age(undelivered, now)}
        return DatabaseState(up=True, pool=pool, lag=lag, pending=pending)
    finally:
        session.rollback()
        session.close()


def _age(occurred: datetime | None, now: datetime) -> float:
    return max(0.0, (now - occurred).total_seconds()) if occurred is not None else 0.0
