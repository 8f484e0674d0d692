"""Every query of permits and their zones."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.permits.models import Permit, PermitZone
from csoapi.permits.schemas import PermitFilters, PermitStatus

KEYS = (
    SortKey(Permit.created_at, "datetime", lambda p: p.created_at),
    SortKey(Permit.id, "uuid", lambda p: p.id),
)
ZONE_KEYS = (SortKey(PermitZone.code, "str", lambda z: z.code),)

# Built once: every permit check and every citation issued in a permit zone runs it.
_COVERING = (
    sa.select(Permit)
    .where(
        Permit.plate_state == sa.bindparam("plate_state"),
        Permit.plate == sa.bindparam("plate"),
        Permit.zone == sa.bindparam("zone"),
        Permit.state == "active",
        Permit.starts_at <= sa.bindparam("at"),
        Permit.ends_at > sa.bindparam("at"),
    )
    .order_by(Permit.ends_at.desc(), Permit.id)
    .limit(1)
)


class ZoneRepository(Repository[PermitZone]):
    model = PermitZone
    missing = ("No such permit zone", "permit_zone_not_found")
    keys = ZONE_KEYS
    tag = "permit-zones"

    def by_code(self, code: str, *, for_update: bool = False) -> PermitZone | None:
        stmt = sa.select(PermitZone).where(PermitZone.code == code)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def page(self, *, limit: int, cursor: str | None) -> tuple[list[PermitZone], str | None]:
        return self.page_of(sa.select(PermitZone), limit=limit, cursor=cursor)


class PermitRepository(Repository[Permit]):
    model = Permit
    missing = ("No such permit", "permit_not_found")
    keys = KEYS
    tag = "permits"

    def covering(self, plate: str, plate_state: str, zone: str, at: datetime) -> Permit | None:
        """The active permit that covers the vehicle in ``zone`` at the instant ``at``."""
        params = {"plate": plate, "plate_state": plate_state, "zone": zone, "at": at}
        return self.session.scalars(_COVERING, params).first()

    def overlapping(self, p: Permit) -> Permit | None:
        """An active permit for the same vehicle and zone whose days meet ``p``'s."""
        stmt = sa.select(Permit).where(
            Permit.plate_state == p.plate_state,
            Permit.plate == p.plate,
            Permit.zone == p.zone,
            Permit.state == "active",
            Permit.starts_at < p.ends_at,
            Permit.ends_at > p.starts_at,
            Permit.id != p.id,
        )
        return self.session.scalars(stmt.limit(1)).first()

    def by_number(self, number: str) -> Permit | None:
        return self.session.scalars(sa.select(Permit).where(Permit.number == number)).first()

    def page(
        self, f: PermitFilters, now: datetime, *, limit: int, cursor: str | None
    ) -> tuple[list[Permit], str | None]:
        stmt = sa.select(Permit)
        for column, value in (
            (Permit.zone, f.zone),
            (Permit.plate, f.plate),
            (Permit.plate_state, f.plate_state),
            (Permit.kind, f.kind),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if f.status is not None:
            stmt = stmt.where(_status_clause(f.status, now))
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)


def _status_clause(status: PermitStatus, now: datetime) -> sa.ColumnElement[bool]:
    """The SQL for a status as ``status_of`` derives it."""
    if status is PermitStatus.revoked:
        return Permit.state == "revoked"
    if status is PermitStatus.expired:
        return sa.and_(Permit.state == "active", Permit.ends_at <= now)
    return sa.and_(Permit.state == "active", Permit.ends_at > now)
