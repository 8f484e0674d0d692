"""GET /api/v1/audit — the audit trail, newest first, for holders of audit:read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from csoapi.core.audit import AuditEvent
from csoapi.core.db import SessionDep
from csoapi.core.errors import error_responses
from csoapi.core.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
    SortKey,
    keyset_page,
)
from csoapi.core.schemas import Output
from csoapi.core.security import Scoped

router = APIRouter(prefix="/audit", tags=["audit"])
AuditReader = Scoped("audit:read")
AUDIT_KEYS = (SortKey(AuditEvent.id, "int", lambda a: a.id),)


class AuditRead(Output):
    id: int
    at: datetime
    actor_kind: str | None
    actor_id: str | None
    actor_name: str | None
    role: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    request_id: str | None
    source_ip: str | None
    outcome: str
    detail: dict[str, Any] | None


@router.get(
    "",
    operation_id="audit_list",
    summary="Search the audit trail (newest first)",
    response_model=Page[AuditRead],
    responses=error_responses(401, 403, 422),
)
def list_audit(
    _: AuditReader,
    session: SessionDep,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(max_length=32)] = None,
    at_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    at_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[AuditRead]:
    stmt = sa.select(AuditEvent)
    filters = {
        AuditEvent.actor_id: str(actor_id) if actor_id else None,
        AuditEvent.action: action,
        AuditEvent.entity_type: entity_type,
        AuditEvent.entity_id: entity_id,
        AuditEvent.outcome: outcome,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if at_from is not None:
        stmt = stmt.where(AuditEvent.at >= at_from)
    if at_to is not None:
        stmt = stmt.where(AuditEvent.at < at_to)
    rows, nxt = keyset_page(
        session, stmt, tag="audit", keys=AUDIT_KEYS, limit=limit, cursor=cursor, descending=True
    )
    return Page[AuditRead](items=[AuditRead.model_validate(r) for r in rows], next_cursor=nxt)
