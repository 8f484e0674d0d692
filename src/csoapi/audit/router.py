"""GET /api/v1/audit — the audit trail, newest first, for holders of audit:read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.audit.service import AuditQuery, AuditService
from csoapi.core.carrier import carrier
from csoapi.core.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
)
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Output, Timestamp

router = APIRouter(prefix="/audit", tags=["audit"])
AuditReader = carrier(AuditService, "audit:read")


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
    description="Searches the audit trail (who, role or client, action, entity, outcome, "
    "request id, source address, when), newest first, keyset-paged. The search "
    "itself is audited.",
    summary="Search the audit trail (newest first)",
    response_model=Page[AuditRead],
    responses=error_responses(401, 403, 422),
)
async def list_audit(
    unit: AuditReader,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(max_length=32)] = None,
    at_from: Annotated[Timestamp | None, Query(alias="from")] = None,
    at_to: Annotated[Timestamp | None, Query(alias="to")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    query = AuditQuery(
        str(actor_id) if actor_id else None, action, entity_type, entity_id, outcome, at_from, at_to
    )

    def work(svc: AuditService) -> Page[AuditRead]:
        rows, nxt = svc.search(query, limit=limit, cursor=cursor)
        return Page[AuditRead](items=[AuditRead.model_validate(r) for r in rows], next_cursor=nxt)

    return await unit.run(work)
