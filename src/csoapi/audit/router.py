"""GET /api/v1/audit — the audit trail, newest first, for holders of audit:read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from csoapi.core import audit
from csoapi.core.context import ContextDep
from csoapi.core.db import SessionDep
from csoapi.core.errors import error_responses
from csoapi.core.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
)
from csoapi.core.schemas import Output, Timestamp
from csoapi.core.security import Scoped

router = APIRouter(prefix="/audit", tags=["audit"])
AuditReader = Scoped("audit:read")


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
    ctx: ContextDep,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(max_length=32)] = None,
    at_from: Annotated[Timestamp | None, Query(alias="from")] = None,
    at_to: Annotated[Timestamp | None, Query(alias="to")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[AuditRead]:
    rows, nxt = audit.search(
        session,
        actor_id=str(actor_id) if actor_id else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        outcome=outcome,
        at_from=at_from,
        at_to=at_to,
        limit=limit,
        cursor=cursor,
    )
    # Reading the trail is on the trail too (written after the search: not in its answer).
    query = {"actor_id": actor_id, "action": action, "entity_type": entity_type}
    query |= {"entity_id": entity_id, "outcome": outcome, "from": at_from, "to": at_to}
    audit.record_list(
        session,
        ctx,
        "audit.list",
        entity_type="audit",
        filters=query | {"limit": limit, "cursor": cursor},
        count=len(rows),
    )
    return Page[AuditRead](items=[AuditRead.model_validate(r) for r in rows], next_cursor=nxt)
