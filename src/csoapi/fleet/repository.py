"""Every query of the fleet: items, their maintenance tasks, service records, check-outs,
and the maintenance worklist (the rule of ``rules.is_due`` in SQL)."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.fleet.models import FleetCheckout, FleetItem, FleetServiceRecord, FleetTask
from csoapi.fleet.schemas import FleetFilters
from csoapi.users.models import User

KEYS = (
    SortKey(FleetItem.created_at, "datetime", lambda i: i.created_at),
    SortKey(FleetItem.id, "uuid", lambda i: i.id),
)
SERVICE_KEYS = (
    SortKey(FleetServiceRecord.serviced_on, "date", lambda r: r.serviced_on),
    SortKey(FleetServiceRecord.created_at, "datetime", lambda r: r.created_at),
    SortKey(FleetServiceRecord.id, "uuid", lambda r: r.id),
)
CHECKOUT_KEYS = (
    SortKey(FleetCheckout.out_at, "datetime", lambda c: c.out_at),
    SortKey(FleetCheckout.id, "uuid", lambda c: c.id),
)


def due_clause(on: date | None, margin: int | None) -> sa.ColumnElement[bool]:
    """``rules.is_due`` for the tasks of the item in the enclosing query."""
    either = []
    if on is not None:
        either.append(sa.and_(FleetTask.due_on.is_not(None), FleetTask.due_on <= on))
    if margin is not None:
        either.append(
            sa.and_(
                FleetTask.due_odometer.is_not(None),
                FleetItem.odometer.is_not(None),
                FleetItem.odometer + margin >= FleetTask.due_odometer,
            )
        )
    return sa.and_(FleetTask.item_id == FleetItem.id, FleetTask.done.is_(False), sa.or_(*either))


def _open_checkout() -> sa.ColumnElement[bool]:
    return sa.and_(FleetCheckout.item_id == FleetItem.id, FleetCheckout.returned_at.is_(None))


class FleetRepository(Repository[FleetItem]):
    model = FleetItem
    missing = ("No such fleet item", "fleet_item_not_found")
    keys = KEYS
    tag = "fleet"

    def by_unit_number(self, unit_number: str) -> FleetItem | None:
        stmt = sa.select(FleetItem).where(FleetItem.unit_number == unit_number)
        return self.session.scalars(stmt).first()

    def lock_items(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, FleetItem]:
        """The items, locked in a fixed order: two bookings of one item wait for each other,
        so neither can miss the other's clash."""
        stmt = (
            sa.select(FleetItem)
            .where(FleetItem.id.in_(sorted(ids)))
            .order_by(FleetItem.id)
            .with_for_update()
        )
        return {i.id: i for i in self.session.scalars(stmt)}

    def page(self, f: FleetFilters, *, limit: int, cursor: str | None):
        stmt = sa.select(FleetItem)
        for column, value in (
            (FleetItem.kind, f.kind),
            (FleetItem.category, f.category),
            (FleetItem.status, f.status),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if f.service_due_before is not None or f.service_due_odometer_within is not None:
            margin = f.service_due_odometer_within
            if margin is None:
                margin = 0  # an odometer task already reached is due by any date
            due = sa.select(FleetTask.id).where(due_clause(f.service_due_before, margin))
            stmt = stmt.where(FleetItem.status != "retired", due.exists())
        if f.checked_out is not None:
            out = sa.select(FleetCheckout.id).where(_open_checkout()).exists()
            stmt = stmt.where(out if f.checked_out else ~out)
        if f.holder is not None:
            held = sa.select(FleetCheckout.id).where(
                _open_checkout(), FleetCheckout.holder_id == f.holder
            )
            stmt = stmt.where(held.exists())
        return self.page_of(stmt, limit=limit, cursor=cursor)

    # -- tasks ----------------------------------------------------------------------------
    def tasks_of(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[FleetTask]]:
        out: dict[uuid.UUID, list[FleetTask]] = {i: [] for i in ids}
        if ids:
            stmt = (
                sa.select(FleetTask)
                .where(FleetTask.item_id.in_(ids))
                .order_by(FleetTask.created_at, FleetTask.id)
            )
            for t in self.session.scalars(stmt):
                out[t.item_id].append(t)
        return out

    def task(self, item_id: uuid.UUID, task_id: uuid.UUID) -> FleetTask | None:
        stmt = sa.select(FleetTask).where(FleetTask.id == task_id, FleetTask.item_id == item_id)
        return self.session.scalars(stmt).first()

    def delete_task(self, t: FleetTask) -> None:
        self.session.delete(t)
        self.session.flush()

    # -- service records ------------------------------------------------------------------
    def service_page(self, item_id: uuid.UUID, *, limit: int, cursor: str | None):
        stmt = sa.select(FleetServiceRecord).where(FleetServiceRecord.item_id == item_id)
        return self.page_of(
            stmt, limit=limit, cursor=cursor, descending=True, keys=SERVICE_KEYS, tag="fleet-sr"
        )

    # -- check-outs -----------------------------------------------------------------------
    def open_checkouts(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[FleetCheckout, str]]:
        """The open check-out of each item that has one, with its holder's name."""
        if not ids:
            return {}
        stmt = (
            sa.select(FleetCheckout, User.full_name)
            .join(User, User.id == FleetCheckout.holder_id)
            .where(FleetCheckout.item_id.in_(ids), FleetCheckout.returned_at.is_(None))
        )
        return {c.item_id: (c, name) for c, name in self.session.execute(stmt).all()}

    def checkout_page(self, item_id: uuid.UUID, *, limit: int, cursor: str | None):
        stmt = sa.select(FleetCheckout).where(FleetCheckout.item_id == item_id)
        return self.page_of(
            stmt, limit=limit, cursor=cursor, descending=True, keys=CHECKOUT_KEYS, tag="fleet-co"
        )

    def names(self, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not user_ids:
            return {}
        stmt = sa.select(User.id, User.full_name).where(User.id.in_(sorted(user_ids)))
        return {uid: name for uid, name in self.session.execute(stmt).all()}

    def holder(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)
