"""The audit trail: one append-only table and its one writer.

Every write, and every read of a report, referral or person detail, appends a row here
in the same transaction as the work it records. Writes refused by a rule are recorded too
(outcome ``denied``/``failed``), in a transaction of their own, by the error path.
On PostgreSQL a trigger refuses UPDATE and DELETE on this table.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from csoapi.core import writes
from csoapi.core.models import utc_column, utcnow
from csoapi.core.pagination import SortKey, keyset_page

if TYPE_CHECKING:
    from fastapi import Request

    from csoapi.core.context import RequestContext
    from csoapi.core.errors import DomainError

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),
        sa.Index("ix_audit_event_actor_id_id", "actor_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BigIntPK, primary_key=True))
    at: datetime = utc_column(index=True)
    actor_kind: str | None = Field(default=None, max_length=8)
    actor_id: str | None = Field(default=None, max_length=36)
    actor_name: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64, index=True)
    entity_type: str | None = Field(default=None, max_length=32)
    entity_id: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    source_ip: str | None = Field(default=None, max_length=64)
    outcome: str = Field(max_length=32)
    detail: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


def record(
    session: Session,
    ctx: RequestContext,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: Any = None,
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row in the caller's transaction. The only writer of this table."""
    p = ctx.principal
    _append(
        session,
        actor_kind=p.kind if p else None,
        actor_id=str(p.id) if p else None,
        actor_name=p.name if p else None,
        role=p.role if p else None,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        request_id=ctx.request_id or None,
        source_ip=ctx.source_ip,
        outcome=outcome,
        detail=detail,
    )


# Built once; every row binds the same columns, so the compiled form is reused as well.
_INSERT = sa.insert(AuditEvent.__table__)  # type: ignore[attr-defined]


def _append(session: Session, **values: Any) -> None:
    writes.insert(session, _INSERT, {"at": utcnow(), **values})


_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def record_refusal(session: Session, request: Request, exc: DomainError) -> None:
    """After a rollback: note a refused write (or a refused read probe: 403/404) in a
    transaction of its own, so attempts leave a trace even though the work did not happen."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return
    if request.method not in _WRITE_METHODS and exc.status not in (403, 404):
        return
    route = request.scope.get("route")
    params = request.scope.get("path_params") or {}
    _append(
        session,
        actor_kind=principal.kind,
        actor_id=str(principal.id),
        actor_name=principal.name,
        role=principal.role,
        action=f"{request.method} {getattr(route, 'path', request.url.path)}"[:64],
        entity_type=None,
        entity_id=str(next(iter(params.values())))[:64] if params else None,
        request_id=str(request.scope.get("state", {}).get("request_id", "")) or None,
        source_ip=request.client.host if request.client else None,
        outcome="denied" if exc.status in (401, 403, 404) else "rejected",
        detail={"status": exc.status, "code": exc.code},
    )
    session.commit()


AUDIT_KEYS = (SortKey(AuditEvent.id, "int", lambda a: a.id),)


def search(
    session: Session,
    *,
    actor_id: str | None,
    action: str | None,
    entity_type: str | None,
    entity_id: str | None,
    outcome: str | None,
    at_from: datetime | None,
    at_to: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEvent], str | None]:
    """The audit trail, newest first, filtered by equality on the given fields."""
    stmt = sa.select(AuditEvent)
    filters = {
        AuditEvent.actor_id: actor_id,
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
    return keyset_page(
        session, stmt, tag="audit", keys=AUDIT_KEYS, limit=limit, cursor=cursor, descending=True
    )
