"""Fleet and equipment: items added, read, changed and retired; maintenance tasks by date or
by odometer; the worklist of what is due. Service records and check-outs are in
``upkeep.py``, on the same item lock."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from csoapi.core import audit, events
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.fleet import rules
from csoapi.fleet.catalogue import FLEET
from csoapi.fleet.models import FleetCheckout, FleetItem, FleetTask
from csoapi.fleet.repository import FleetRepository
from csoapi.fleet.schemas import (
    FleetCheckoutRead,
    FleetCreate,
    FleetFilters,
    FleetRead,
    FleetRetireBody,
    FleetStatusBody,
    FleetTaskByDate,
    FleetTaskCreate,
    FleetTaskRead,
    FleetUpdate,
)

# Fields a PATCH may clear with null.
CLEARABLE = {
    "make",
    "model",
    "year",
    "serial_number",
    "vin",
    "plate",
    "plate_state",
    "notes",
}


def payload(i: FleetItem) -> dict[str, Any]:
    return {
        "id": str(i.id),
        "kind": i.kind,
        "category": i.category,
        "unit_number": i.unit_number,
        "status": i.status,
        "version": i.version,
    }


FLEET_ITEM: Entity[FleetItem] = Entity("fleet_item", FLEET, payload)


def schedule_of(t: FleetTask) -> rules.Schedule:
    return rules.Schedule(t.due_on, t.due_odometer, t.every_days, t.every_miles, t.done)


def new_task(item_id: uuid.UUID, data: FleetTaskCreate) -> FleetTask:
    if isinstance(data, FleetTaskByDate):
        due = {"due_on": data.due_on, "every_days": data.every_days}
    else:
        due = {"due_odometer": data.due_odometer, "every_miles": data.every_miles}
    return new_row(FleetTask, item_id=item_id, task=data.task, **due)


def checkout_view(c: FleetCheckout, holder_name: str) -> FleetCheckoutRead:
    fields = {k: getattr(c, k) for k in FleetCheckoutRead.model_fields if k != "holder_name"}
    return FleetCheckoutRead(**fields, holder_name=holder_name)


def raise_odometer(item: FleetItem, reading: int | None, at: datetime) -> None:
    """A new reading: never lower than the last one (422 ``odometer_went_back``)."""
    if reading is None:
        return
    if item.odometer is not None and reading < item.odometer:
        raise Unprocessable(
            f"The odometer reads {item.odometer}; a reading of {reading} would go back",
            code="odometer_went_back",
            field="odometer",
            current=item.odometer,
        )
    item.odometer, item.odometer_read_at = reading, at


class FleetService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = FleetRepository(session)
        self.changes = Changes(
            session, ctx, FLEET_ITEM, lock=lambda k: self.get(k, for_update=True)
        )

    def today(self) -> date:
        return datetime.now(self.ctx.settings.tz).date()

    def get(self, item_id: uuid.UUID, *, for_update: bool = False) -> FleetItem:
        return self.repo.get_or_404(item_id, for_update=for_update)

    # -- reading --------------------------------------------------------------------------
    def views(self, rows: list[FleetItem]) -> list[FleetRead]:
        ids = [i.id for i in rows]
        tasks, out, today = self.repo.tasks_of(ids), self.repo.open_checkouts(ids), self.today()
        reads = []
        for i in rows:
            maintenance = [
                FleetTaskRead(
                    **{k: getattr(t, k) for k in FleetTaskRead.model_fields if k != "overdue"},
                    overdue=rules.overdue(schedule_of(t), today=today, odometer=i.odometer),
                )
                for t in tasks[i.id]
            ]
            fields = {k: getattr(i, k) for k in FleetRead.model_fields if hasattr(i, k)}
            held = out.get(i.id)
            reads.append(
                FleetRead(
                    **fields,
                    maintenance=maintenance,
                    maintenance_overdue=any(t.overdue for t in maintenance),
                    checked_out=checkout_view(*held) if held else None,
                )
            )
        return reads

    def view(self, i: FleetItem) -> FleetRead:
        return self.views([i])[0]

    def read(self, item_id: uuid.UUID) -> FleetRead:
        i = self.get(item_id)
        audit.record(self.session, self.ctx, "fleet.read", entity_type="fleet_item", entity_id=i.id)
        return self.view(i)

    def page(self, f: FleetFilters, *, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(f, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "fleet.list",
            entity_type="fleet_item",
            filters=asdict(f) | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return self.views(rows), nxt

    # -- writing --------------------------------------------------------------------------
    def create(self, data: FleetCreate) -> FleetItem:
        if self.repo.by_unit_number(data.unit_number) is not None:
            raise Conflict(f"Unit number {data.unit_number} is taken", code="unit_number_taken")
        now = utcnow()
        item = FleetItem(  # not new_row: the item has a field called ``model``
            **data.model_dump(exclude={"maintenance"}),
            status="in_service",
            odometer_read_at=now if data.odometer is not None else None,
            created_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        self.repo.add(item)
        for t in data.maintenance:
            self.repo.add(new_task(item.id, t), flush=False)
        self.repo.flush()
        audit.record(
            self.session,
            self.ctx,
            "fleet.create",
            entity_type="fleet_item",
            entity_id=item.id,
            detail={"kind": item.kind, "tasks": len(data.maintenance)},
        )
        events.append(
            self.session,
            "fleet.item_created",
            entity_type="fleet_item",
            entity_id=item.id,
            read_scope=FLEET,
            payload=payload(item),
        )
        return item

    def update(self, item_id: uuid.UUID, data: FleetUpdate, if_match: str | None) -> FleetItem:
        change = self.changes.begin(item_id, if_match, required=True)
        item = change.row
        if item.status == "retired":
            raise Conflict("A retired item is not changed", code="fleet_item_retired")
        fields = data.model_dump(exclude_unset=True)
        raise_odometer(item, fields.pop("odometer", None), utcnow())
        for key, value in fields.items():
            if value is not None or key in CLEARABLE:
                setattr(item, key, value)
        changed = sorted([*fields, *(["odometer"] if data.odometer is not None else [])])
        return change.done(
            "fleet.update", detail={"fields": changed}, events=[Event("fleet.item_updated")]
        )

    def set_status(
        self, item_id: uuid.UUID, data: FleetStatusBody, if_match: str | None
    ) -> FleetItem:
        change = self.changes.begin(item_id, if_match)
        item = change.row
        if item.status == "retired":
            raise Conflict("A retired item stays retired", code="fleet_item_retired")
        before, item.status, item.status_reason = item.status, data.status, data.reason
        return change.done(
            "fleet.status",
            detail={"from": before, "to": item.status},
            events=[Event("fleet.item_updated")],
        )

    def retire(self, item_id: uuid.UUID, data: FleetRetireBody, if_match: str | None) -> FleetItem:
        change = self.changes.begin(item_id, if_match)
        item = change.row
        if item.status == "retired":
            raise Conflict("The item is retired already", code="fleet_item_retired")
        held = self.repo.open_checkouts([item.id]).get(item.id)
        if held is not None:
            raise Conflict(
                "A checked-out item is returned before it is retired",
                code="fleet_item_checked_out",
                checkout=checkout_view(*held).model_dump(mode="json"),
            )
        item.status, item.status_reason, item.retired_at = "retired", data.reason, utcnow()
        return change.done("fleet.retire", events=[Event("fleet.item_retired")])

    def add_task(
        self, item_id: uuid.UUID, data: FleetTaskCreate, if_match: str | None
    ) -> FleetItem:
        change = self.changes.begin(item_id, if_match)
        if change.row.status == "retired":
            raise Conflict("A retired item has no maintenance", code="fleet_item_retired")
        task = self.repo.add(new_task(change.row.id, data))
        return change.done(
            "fleet.task.add",
            detail={"task_id": str(task.id)},
            events=[Event("fleet.maintenance_changed")],
        )

    def remove_task(
        self, item_id: uuid.UUID, task_id: uuid.UUID, if_match: str | None
    ) -> FleetItem:
        change = self.changes.begin(item_id, if_match)
        task = self.repo.task(change.row.id, task_id)
        if task is None:
            raise NotFound("No such maintenance task", code="fleet_task_not_found")
        self.repo.delete_task(task)
        return change.done(
            "fleet.task.remove",
            detail={"task_id": str(task_id)},
            events=[Event("fleet.maintenance_changed")],
        )
