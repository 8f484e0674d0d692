"""Every query of calls and their activity."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from csoapi.calls.models import Call, CallActivity
from csoapi.core.pagination import PageFetch, SortKey
from csoapi.core.repository import Repository

CALL_KEYS = (
    SortKey(Call.received_at, "datetime", lambda c: c.received_at),
    SortKey(Call.id, "uuid", lambda c: c.id),
)
# Built once (every intake that names its source's id runs it): bound parameters only.
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


class CallRepository(Repository[Call]):
    model = Call
    missing = ("No such call", "call_not_found")
    keys = CALL_KEYS
    tag = "calls"

    def insert_new(
        self,
        call: Call,
        created: CallActivity,
        *,
        then: Callable[[], None],
        on_conflict: Callable[[], None],
    ) -> None:
        """A new call and the first line of its activity log as prebuilt INSERTs, with the
        rows ``then`` writes (its audit row and event), in one round trip: the intake's
        hot path. Neither object joins the session; both are only read after this.

        When a concurrent create with the same ``(source, external_id)`` committed first
        (PostgreSQL made this insert wait for it), the request fails either way: its
        transaction (and the number it took) is rolled back and ``on_conflict`` runs in a
        fresh one, to name the call that won."""
        try:
            self.insert(call, created, then=then)
        except IntegrityError:
            self.session.rollback()
            on_conflict()
            raise

    def exists(self, call_id: uuid.UUID) -> bool:
        """Whether ``call_id`` names a call (records of other features that cite one)."""
        return self.find(call_id) is not None

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
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True, fetch=fetch)

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
