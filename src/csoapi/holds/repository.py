"""Every query of holds."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.holds.models import Hold

# The review worklist: the oldest review first.
KEYS = (
    SortKey(Hold.review_due, "datetime", lambda h: h.review_due),
    SortKey(Hold.id, "uuid", lambda h: h.id),
)


class HoldRepository(Repository[Hold]):
    model = Hold
    missing = ("No such hold", "hold_not_found")
    keys = KEYS
    tag = "holds"

    def of_subject(self, kind: str, subject_id: uuid.UUID, *, active: bool) -> list[Hold]:
        """The holds on one record, oldest first; ``active``: only those not released."""
        stmt = sa.select(Hold).where(Hold.subject_kind == kind, Hold.subject_id == subject_id)
        if active:
            stmt = stmt.where(Hold.released_at.is_(None))  # type: ignore[union-attr]
        return list(self.session.scalars(stmt.order_by(Hold.placed_at, Hold.id)).all())

    def active_subjects(self, kind: str, subject_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``subject_ids`` have an active hold (one query for a page of records)."""
        if not subject_ids:
            return set()
        stmt = sa.select(Hold.subject_id).where(
            Hold.subject_kind == kind,
            Hold.subject_id.in_(subject_ids),  # type: ignore[attr-defined]
            Hold.released_at.is_(None),  # type: ignore[union-attr]
        )
        return set(self.session.scalars(stmt).all())

    def page(
        self,
        kind: str,
        *,
        active: bool | None,
        overdue_at: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Hold], str | None]:
        """Holds on records of ``kind`` by review date; ``overdue_at``: only active holds
        whose review was due before that instant."""
        stmt = sa.select(Hold).where(Hold.subject_kind == kind)
        if active is not None:
            released = Hold.released_at.is_(None)  # type: ignore[union-attr]
            stmt = stmt.where(released if active else sa.not_(released))
        if overdue_at is not None:
            stmt = stmt.where(
                Hold.released_at.is_(None),  # type: ignore[union-attr]
                Hold.review_due < overdue_at,
            )
        return self.page_of(stmt, limit=limit, cursor=cursor)
