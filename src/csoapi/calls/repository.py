"""Every query of calls and their activity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.calls.models import Call, CallActivity
from csoapi.core import writes
from csoapi.core.pagination import PageFetch, SortKey, keyset_page

CALL_KEYS = (
    SortKey(Call.received_at, "datetime", lambda c: c.received_at),
    SortKey(Call.id, "uuid", lambda c: c.id),
)
_CALLS = Call.__table__  # type: ignore[attr-defined]
_ACTIVITY = CallActivity.__table__  # type: ignore[attr-defined]
_CALL_COLUMNS = tuple(c.name for c in _CALLS.columns)
_ACTIVITY_COLUMNS = tuple(c.name for c in _ACTIVITY.columns if c.name != "id")
# Built once (every call intake runs them): bound parameters skip statement building.
_INSERT_CALL = sa.insert(_CALLS)
_INSERT_ACTIVITY = sa.insert(_ACTIVITY)
_BY_EXTERNAL_ID = sa.select(Call).where(
    Call.source == sa.bindparam("source"), Call.external_id == sa.bindparam("external_id")
)


@dataclass(frozen=True, slots=True)
class CallFilters:
    status: str | None = None
    call_type: str | None = None
    priority: int | None = None
    assigned_to: uuid.UUID | None = None
    beat: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


class CallRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def insert(self, call: Call, created: CallActivity) -> None:
        """A new call and the first line of its activity log, as prebuilt INSERTs (sent with
        the rest of an open ``writes.together`` block). Neither object joins the session:
        they are only read after this, so the ORM's unit of work would be bookkeeping for
        nothing on the intake's hot path."""
        writes.insert(self.session, _INSERT_CALL, {n: getattr(call, n) for n in _CALL_COLUMNS})
        writes.insert(
            self.session,
            _INSERT_ACTIVITY,
            {n: getattr(created, n) for n in _ACTIVITY_COLUMNS},
        )

    def get(self, call_id: uuid.UUID, *, for_update: bool = False) -> Call | None:
        stmt = sa.select(Call).where(Call.id == call_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def by_external_id(self, source: str, external_id: str) -> Call | None:
        params = {"source": source, "external_id": external_id}
        return self.session.scalars(_BY_EXTERNAL_ID, params).first()

    def page(
        self, f: CallFilters, *, limit: int, cursor: str | None, fetch: PageFetch | None = None
    ) -> tuple[list[Call], str | None]:
        stmt = sa.select(Call)
        equal = {
            Call.status: f.status,
            Call.call_type: f.call_type,
            Call.priority: f.priority,
            Call.assigned_to: f.assigned_to,
            Call.beat: f.beat,
        }
        for column, value in equal.items():
            if value is not None:
                stmt = stmt.where(column == value)
        if f.received_from is not None:
            stmt = stmt.where(Call.received_at >= f.received_from)
        if f.received_to is not None:
            stmt = stmt.where(Call.received_at < f.received_to)
        return keyset_page(
            self.session,
            stmt,
            tag="calls",
            keys=CALL_KEYS,
            limit=limit,
            cursor=cursor,
            descending=True,
            fetch=fetch,
        )

    def log(self, activity: CallActivity) -> CallActivity:
        self.session.add(activity)
        self.session.flush()
        return activity

    def activity(self, call_id: uuid.UUID) -> list[CallActivity]:
        return list(
            self.session.scalars(
                sa.select(CallActivity)
                .where(CallActivity.call_id == call_id)
                .order_by(CallActivity.at, CallActivity.id)
            ).all()
        )
