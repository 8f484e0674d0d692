"""/healthz (process up) and /readyz (database reachable, by both drivers where there are
two, and schema at Alembic head)."""

from __future__ import annotations

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from csoapi.core.db import read_only_connection
from csoapi.core.errors import ServiceUnavailable, error_responses
from csoapi.core.migrate import current_revisions

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    schema_revision: str


@router.get(
    "/healthz", operation_id="health_live", summary="The process is up", response_model=Health
)
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="health_ready",
    summary="The database answers and its schema is at the newest migration",
    response_model=Ready,
    responses=error_responses(503),
)
async def readyz(request: Request) -> Ready:
    engine: sa.Engine = request.app.state.engine
    heads: frozenset[str] = request.app.state.schema_heads
    try:
        current = await anyio.to_thread.run_sync(_revisions, engine)
        units = request.app.state.unit_factory
        if units is not None:  # the hot routes' driver must reach the database too
            async with units() as session:
                await session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        raise ServiceUnavailable(
            "The database is unreachable", code="database_unreachable"
        ) from None
    if current != heads:
        raise ServiceUnavailable(
            "The database schema is not at the newest migration; run `csoapi migrate`",
            code="schema_not_at_head",
        )
    return Ready(
        status="ok", database=engine.dialect.name, schema_revision=",".join(sorted(current))
    )


def _revisions(engine: sa.Engine) -> frozenset[str]:
    with read_only_connection(engine) as conn:
        return current_revisions(conn)
