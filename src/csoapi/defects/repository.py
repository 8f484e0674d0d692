"""Every query of defect reports and their photos, the worker's claims among them."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.defects.models import Defect, DefectPhoto
from csoapi.defects.schemas import DefectFilters

KEYS = (
    SortKey(Defect.created_at, "datetime", lambda d: d.created_at),
    SortKey(Defect.id, "uuid", lambda d: d.id),
)


class DefectRepository(Repository[Defect]):
    model = Defect
    missing = ("No such defect report", "defect_not_found")
    keys = KEYS
    tag = "defects"

    def page(self, f: DefectFilters, *, limit: int, cursor: str | None):
        stmt = sa.select(Defect)
        for column, value in (
            (Defect.kind, f.kind),
            (Defect.forwarding, f.forwarding),
            (Defect.status, f.status),
            (Defect.call_id, f.call_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)

    def photos_of(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[DefectPhoto]]:
        out: dict[uuid.UUID, list[DefectPhoto]] = {i: [] for i in ids}
        if ids:
            stmt = (
                sa.select(DefectPhoto)
                .where(DefectPhoto.defect_id.in_(ids))
                .order_by(DefectPhoto.created_at, DefectPhoto.id)
                .options(sa.orm.defer(DefectPhoto.data))
            )
            for p in self.session.scalars(stmt):
                out[p.defect_id].append(p)
        return out

    def photo(self, defect_id: uuid.UUID, photo_id: uuid.UUID) -> DefectPhoto | None:
        stmt = sa.select(DefectPhoto).where(
            DefectPhoto.id == photo_id, DefectPhoto.defect_id == defect_id
        )
        return self.session.scalars(stmt).first()

    def photo_count(self, defect_id: uuid.UUID) -> int:
        stmt = sa.select(sa.func.count()).where(DefectPhoto.defect_id == defect_id)
        return int(self.session.scalar(stmt) or 0)

    # -- the worker -------------------------------------------------------------------------
    def claim_due(self, now: datetime, limit: int, until: datetime, token: uuid.UUID):
        """Pending reports due a try and not leased, leased to ``token`` until ``until``
        (rows another worker holds are skipped)."""
        stmt = (
            sa.select(Defect)
            .where(
                Defect.forwarding == "pending",
                sa.or_(Defect.next_attempt_at.is_(None), Defect.next_attempt_at <= now),
                sa.or_(Defect.lease_until.is_(None), Defect.lease_until <= now),
            )
            .order_by(Defect.created_at, Defect.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(self.session.scalars(stmt))
        for row in rows:
            row.lease_until, row.lease_token = until, token
        self.session.flush()
        return rows

    def leased(self, defect_id: uuid.UUID, token: uuid.UUID) -> Defect | None:
        stmt = (
            sa.select(Defect)
            .where(Defect.id == defect_id, Defect.lease_token == token)
            .with_for_update()
        )
        return self.session.scalars(stmt).first()

    def to_poll(self, before: datetime, limit: int) -> list[Defect]:
        """Forwarded reports 311 has not closed (or whose token has no id yet), not polled
        since ``before``."""
        stmt = (
            sa.select(Defect)
            .where(
                Defect.forwarding == "forwarded",
                sa.or_(Defect.service_request_id.is_not(None), Defect.open311_token.is_not(None)),
                sa.or_(Defect.status.is_(None), Defect.status != "closed"),
                sa.or_(Defect.polled_at.is_(None), Defect.polled_at <= before),
            )
            .order_by(Defect.polled_at.is_not(None), Defect.polled_at, Defect.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(stmt))
