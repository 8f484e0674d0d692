"""Every query of impounds, their notices and their payments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from csoapi.citations.models import Citation
from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.impounds.models import Impound, ImpoundNotice, ImpoundPayment

KEYS = (
    SortKey(Impound.requested_at, "datetime", lambda i: i.requested_at),
    SortKey(Impound.id, "uuid", lambda i: i.id),
)
# The records worklist: the most pressing deadline first.
DEADLINE_KEYS = (
    SortKey(Impound.next_deadline_at, "datetime", lambda i: i.next_deadline_at),
    SortKey(Impound.id, "uuid", lambda i: i.id),
)


@dataclass(frozen=True, slots=True)
class ImpoundFilters:
    status: str | None = None
    plate: str | None = None
    plate_state: str | None = None
    deadline_due_before: datetime | None = None
    lot: str | None = None


class ImpoundRepository(Repository[Impound]):
    model = Impound
    missing = ("No such impound", "impound_not_found")
    keys = KEYS
    tag = "impounds"

    def page(
        self, f: ImpoundFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Impound], str | None]:
        stmt = sa.select(Impound)
        if f.status is not None:
            stmt = stmt.where(Impound.status == f.status)
        if f.plate is not None:
            stmt = stmt.where(Impound.plate == f.plate)
        if f.plate_state is not None:
            stmt = stmt.where(Impound.plate_state == f.plate_state)
        if f.lot is not None:
            stmt = stmt.where(Impound.storage_lot == f.lot)
        if f.deadline_due_before is not None:
            stmt = stmt.where(Impound.next_deadline_at < f.deadline_due_before)
            return self.page_of(
                stmt, limit=limit, cursor=cursor, keys=DEADLINE_KEYS, tag="impound-deadlines"
            )
        return self.page_of(stmt, limit=limit, cursor=cursor)

    def held_for_plate(self, plate: str, plate_state: str) -> list[Impound]:
        """The plate's vehicles on a lot now (the portal's lookup)."""
        stmt = (
            sa.select(Impound)
            .where(
                Impound.plate == plate,
                Impound.plate_state == plate_state,
                Impound.status == "stored",
            )
            .order_by(Impound.requested_at, Impound.id)
            .limit(20)
        )
        return list(self.session.scalars(stmt).all())

    def existing_external_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        stmt = sa.select(Impound.external_id).where(Impound.external_id.in_(ids))  # type: ignore[union-attr]
        return {x for x in self.session.scalars(stmt).all() if x is not None}

    def tow_candidates(
        self, issued_by: date, min_count: int, limit: int
    ) -> list[tuple[str, str, int]]:
        """Plates with at least ``min_count`` citations issued on or before ``issued_by``
        and neither paid, contested nor voided: (state, plate, count), most first. Their
        exact balances are the citations feature's to say (``citations.owed``)."""
        count = sa.func.count().label("n")
        rows = self.session.execute(
            sa.select(Citation.plate_state, Citation.plate, count)
            .where(
                Citation.kind == "citation",
                Citation.state.in_(("open", "collections")),
                Citation.issued_on <= issued_by,
            )
            .group_by(Citation.plate_state, Citation.plate)
            .having(count >= min_count)
            .order_by(count.desc(), Citation.plate_state, Citation.plate)
            .limit(limit)
        ).all()
        return [(st, p, n) for st, p, n in rows]

    # -- notices --------------------------------------------------------------------------
    def notices_of(self, impound_id: uuid.UUID) -> list[ImpoundNotice]:
        stmt = (
            sa.select(ImpoundNotice)
            .where(ImpoundNotice.impound_id == impound_id)
            .order_by(ImpoundNotice.mailed_at, ImpoundNotice.id)
        )
        return list(self.session.scalars(stmt).all())

    def notice(self, impound_id: uuid.UUID, notice_id: uuid.UUID) -> ImpoundNotice | None:
        n = self.session.get(ImpoundNotice, notice_id)
        return n if n is not None and n.impound_id == impound_id else None

    # -- payments -------------------------------------------------------------------------
    def payments_of(self, impound_id: uuid.UUID) -> list[ImpoundPayment]:
        stmt = (
            sa.select(ImpoundPayment)
            .where(ImpoundPayment.impound_id == impound_id)
            .order_by(ImpoundPayment.posted_at, ImpoundPayment.id)
        )
        return list(self.session.scalars(stmt).all())

    def payment(self, impound_id: uuid.UUID, payment_id: uuid.UUID) -> ImpoundPayment | None:
        p = self.session.get(ImpoundPayment, payment_id)
        return p if p is not None and p.impound_id == impound_id else None

    def is_reversed(self, payment_id: uuid.UUID) -> bool:
        stmt = sa.select(sa.exists().where(ImpoundPayment.reverses_id == payment_id))
        return bool(self.session.scalar(stmt))
