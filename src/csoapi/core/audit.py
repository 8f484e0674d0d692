"""The audit trail: one append-only table and its one writer.

Every write, and every read of a report, referral or person detail, appends a row here
in the same transaction as the work it records; so does every list read (one row per
listing, with its filters and row count), including reads of this table. Writes refused
by a rule or by request validation are recorded too (outcome ``denied``/``rejected``), in
a transaction of their own, by the error path.
On PostgreSQL a trigger refuses UPDATE and DELETE on this table.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from csoapi.core import writes
from csoapi.core.models import utc_column, utcnow
from csoapi.core.pagination import PageFetch, SortKey, keyset_page

if TYPE_CHECKING:
    from fastapi import Request

    from csoapi.core.context import RequestContext
    from csoapi.core.security import Principal

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
    """Append one audit row in the caller's transaction. Nothing outside this module writes
    this table."""
    _append(session, **_row(ctx, action, entity_type, entity_id, outcome), detail=detail)


def _row(
    ctx: RequestContext, action: str, entity_type: str | None, entity_id: Any, outcome: str
) -> dict[str, Any]:
    p = ctx.principal
    return {
        "actor_kind": p.kind if p else None,
        "actor_id": str(p.id) if p else None,
        "actor_name": p.name if p else None,
        "role": p.role if p else None,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id) if entity_id is not None else None,
        "request_id": ctx.request_id or None,
        "source_ip": ctx.source_ip,
        "outcome": outcome,
    }


# Built once; every row binds the same columns, so the compiled form is reused as well.
_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_INSERT = sa.insert(_TABLE)


def _append(session: Session, **values: Any) -> None:
    writes.insert(session, _INSERT, {"at": utcnow(), **values})


# -- list reads: one row per listing, not one per item ---------------------------------------
def record_list(
    session: Session,
    ctx: RequestContext,
    action: str,
    *,
    entity_type: str,
    filters: Mapping[str, Any],
    count: int,
) -> None:
    """A list read: who, which listing (``action``), the query as given (``filters``; unset
    ones left out) and how many rows it answered."""
    record(
        session,
        ctx,
        action,
        entity_type=entity_type,
        detail={"filters": given(filters), "count": count},
    )


def given(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The filters that were set, as JSON values."""
    return {name: _plain(value) for name, value in filters.items() if value is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def listing(
    ctx: RequestContext,
    action: str,
    *,
    entity_type: str,
    filters: Mapping[str, Any],
    limit: int,
) -> PageFetch:
    """``keyset_page(fetch=...)`` for a listing on a hot route: its ``record_list`` row goes
    in the page's own statement on PostgreSQL (a data-modifying CTE), so the audit costs no
    round trip of its own. Elsewhere the row is written just after the page, as usual."""

    def fetch(session: Session, stmt: sa.Select[Any]) -> list[Any]:
        if session.connection().dialect.name != "postgresql":
            rows = list(session.scalars(stmt).all())
            count = min(len(rows), limit)
            record_list(session, ctx, action, entity_type=entity_type, filters=filters, count=count)
            return rows
        values = {"at": utcnow(), **_row(ctx, action, entity_type, None, "success")}
        params = {f"a_{name}": value for name, value in values.items()}
        params |= {"a_filters": json.dumps(given(filters)), "a_limit": limit}
        return list(session.scalars(_with_row(stmt), params))

    return fetch


# The list row's columns as named parameters, built once (``_with_row`` binds them).
_ROW_COLUMNS = [c.name for c in _TABLE.c if c.name not in ("id", "detail")]
_ROW_VALUES = [sa.bindparam(f"a_{n}", type_=_TABLE.c[n].type).label(n) for n in _ROW_COLUMNS]
_ROW_FILTERS = sa.cast(sa.bindparam("a_filters", type_=sa.Text), sa.JSON)


def _with_row(stmt: sa.Select[Any]) -> sa.Select[Any]:
    """``stmt`` with ``WITH audit_row AS (INSERT INTO audit_event ... SELECT ...)`` whose
    count is ``stmt`` again, reduced to its primary key: one statement, one snapshot, so
    the count is exactly the rows the page returns (keyset_page reads one past the limit:
    hence ``least``). Only the key is re-selected: a subquery of the whole row would copy
    every column object per request, and copying one with a foreign key costs SQLAlchemy
    about half a millisecond (measured: 2 ms per calls list, 3.5x the list's own cost)."""
    keys = sa.inspect(stmt.column_descriptions[0]["entity"]).primary_key
    page = stmt.with_only_columns(*keys, maintain_column_froms=True).subquery("page")
    shown = sa.select(sa.func.least(sa.func.count(), sa.bindparam("a_limit"))).select_from(page)
    detail = sa.func.json_build_object(
        sa.literal_column("'filters'"),
        _ROW_FILTERS,
        sa.literal_column("'count'"),
        shown.scalar_subquery(),
    )
    row = sa.select(*_ROW_VALUES, sa.type_coerce(detail, _TABLE.c.detail.type).label("detail"))
    insert = sa.insert(_TABLE).from_select([*_ROW_COLUMNS, "detail"], row)
    return stmt.add_cte(insert.cte("audit_row"))


# -- refusals --------------------------------------------------------------------------------
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def noted(method: str, status: int) -> bool:
    """Which refusals get a row: every refused write, and of reads the refused probes."""
    return method in _WRITE_METHODS or status in (403, 404)


def refused(
    session: Session,
    request: Request,
    status: int,
    code: str,
    *,
    principal: Principal | None = None,
    fields: list[str] | None = None,
) -> None:
    """After a rollback: note a refused request in a transaction of its own, so attempts
    leave a trace though the work did not happen: a domain error's refusal, a value the
    database could not store, or a request that failed validation before its route ran
    (``fields``: where). Only an authenticated caller's refusals are noted, and of reads only
    403/404: what a caller without credentials sends leaves nothing, so it cannot grow the
    table."""
    principal = principal or getattr(request.state, "principal", None)
    if principal is None or not noted(request.method, status):
        return
    route = request.scope.get("route")
    params = request.scope.get("path_params") or {}
    detail: dict[str, Any] = {"status": status, "code": code}
    if fields:
        detail["fields"] = fields[:10]
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
        outcome="denied" if status in (401, 403, 404) else "rejected",
        detail=detail,
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
