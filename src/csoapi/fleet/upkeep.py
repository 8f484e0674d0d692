"""The upkeep of fleet items, under the item's lock like every other change of it: service
records from outside vendors (which complete maintenance tasks and move recurring ones on)
and check-out and return to staff (one open check-out per item: a second is a 409 naming
who holds it)."""

from __future__ import annotations

import uuid

from csoapi.core import audit
from csoapi.core.errors import Conflict, Unprocessable
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Event
from csoapi.fleet import rules
from csoapi.fleet.models import FleetCheckout, FleetItem, FleetServiceRecord, FleetTask
from csoapi.fleet.schemas import (
    FleetCheckoutCreate,
    FleetCheckoutRead,
    FleetReturnBody,
    FleetServiceCreate,
    FleetServiceRead,
)
from csoapi.fleet.service import FleetService, checkout_view, raise_odometer, schedule_of


class FleetUpkeep(FleetService):
    # -- service records ------------------------------------------------------------------
    def record_service(
        self, item_id: uuid.UUID, data: FleetServiceCreate
    ) -> tuple[FleetItem, FleetServiceRecord]:
        change = self.changes.begin(item_id)
        item = change.row
        tasks = {t.id: t for t in self.repo.tasks_of([item.id])[item.id]}
        unknown = [str(t) for t in data.completes if t not in tasks]
        if unknown:
            raise Unprocessable(
                "completes names no task of this item", code="unknown_task", ids=unknown
            )
        raise_odometer(item, data.odometer, utcnow())
        for task_id in data.completes:
            self._complete(tasks[task_id], data)
        record = new_row(
            FleetServiceRecord,
            item_id=item.id,
            **data.model_dump(exclude={"completes"}),
            completes=[str(t) for t in data.completes],
            created_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        self.repo.add(record)
        extra = {
            "service_record_id": str(record.id),
            "serviced_on": record.serviced_on.isoformat(),
            "cost_cents": record.cost_cents,
            "tasks_completed": len(data.completes),
        }
        change.done(
            "fleet.service",
            detail={"service_record_id": str(record.id), "cost_cents": record.cost_cents},
            events=[Event("fleet.serviced", extra=extra)],
        )
        return item, record

    def _complete(self, task: FleetTask, data: FleetServiceCreate) -> None:
        if task.due_odometer is not None and data.odometer is None:
            raise Unprocessable(
                f"Task '{task.task}' is due by odometer: the service record needs its reading",
                code="odometer_required",
                field="odometer",
            )
        after = rules.completed(schedule_of(task), on=data.serviced_on, odometer=data.odometer)
        task.due_on, task.due_odometer, task.done = after.due_on, after.due_odometer, after.done
        task.last_done_on, task.last_done_odometer = data.serviced_on, data.odometer

    def service_page(self, item_id: uuid.UUID, *, limit: int, cursor: str | None):
        item = self.get(item_id)
        rows, nxt = self.repo.service_page(item.id, limit=limit, cursor=cursor)
        self._listed("fleet.service.list", item, limit, cursor, len(rows))
        return [service_view(r) for r in rows], nxt

    # -- check-out and return -------------------------------------------------------------
    def check_out(
        self, item_id: uuid.UUID, data: FleetCheckoutCreate, if_match: str | None
    ) -> FleetItem:
        change = self.changes.begin(item_id, if_match)
        item, now = change.row, utcnow()
        if item.status == "retired":
            raise Conflict("A retired item is not checked out", code="fleet_item_retired")
        if item.status != "in_service":
            raise Conflict(
                "An out of service item is not checked out", code="fleet_item_out_of_service"
            )
        held = self.repo.open_checkouts([item.id]).get(item.id)
        if held is not None:
            raise Conflict(
                f"{item.unit_number} is checked out to {held[1]}",
                code="fleet_item_checked_out",
                checkout=checkout_view(*held).model_dump(mode="json"),
            )
        holder = self.repo.holder(data.holder_id)
        if holder is None or not holder.active:
            raise Unprocessable(
                "holder_id names no active user", code="unknown_holder", field="holder_id"
            )
        if data.expected_return_at is not None and data.expected_return_at <= now:
            raise Unprocessable(
                "expected_return_at must be in the future",
                code="expected_return_past",
                field="expected_return_at",
            )
        out = new_row(
            FleetCheckout,
            item_id=item.id,
            holder_id=holder.id,
            out_at=now,
            out_by=self.ctx.actor.id,
            expected_return_at=data.expected_return_at,
            purpose=data.purpose,
        )
        self.repo.add(out)
        extra = {"checkout_id": str(out.id), "expected_return_at": _iso(out)}
        return change.done(
            "fleet.check_out",
            detail={"checkout_id": str(out.id), "holder_id": str(holder.id)},
            events=[Event("fleet.checked_out", extra=extra)],
        )

    def give_back(
        self, item_id: uuid.UUID, data: FleetReturnBody, if_match: str | None
    ) -> FleetItem:
        change = self.changes.begin(item_id, if_match)
        item, now = change.row, utcnow()
        held = self.repo.open_checkouts([item.id]).get(item.id)
        if held is None:
            raise Conflict(f"{item.unit_number} is not checked out", code="fleet_item_not_out")
        out = held[0]
        raise_odometer(item, data.odometer, now)
        out.returned_at, out.returned_by = now, self.ctx.actor.id
        out.return_note, out.return_odometer = data.note, data.odometer
        extra = {"checkout_id": str(out.id), "expected_return_at": _iso(out)}
        return change.done(
            "fleet.return",
            detail={"checkout_id": str(out.id)},
            events=[Event("fleet.returned", extra=extra)],
        )

    def checkout_page(
        self, item_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[FleetCheckoutRead], str | None]:
        item = self.get(item_id)
        rows, nxt = self.repo.checkout_page(item.id, limit=limit, cursor=cursor)
        self._listed("fleet.checkout.list", item, limit, cursor, len(rows))
        names = self.repo.names({c.holder_id for c in rows})
        return [checkout_view(c, names.get(c.holder_id, "")) for c in rows], nxt

    def _listed(self, action: str, item: FleetItem, limit: int, cursor: str | None, n: int):
        audit.record_list(
            self.session,
            self.ctx,
            action,
            entity_type="fleet_item",
            filters={"item_id": str(item.id), "limit": limit, "cursor": cursor},
            count=n,
        )


def _iso(c: FleetCheckout) -> str | None:
    return c.expected_return_at.isoformat() if c.expected_return_at else None


def service_view(r: FleetServiceRecord) -> FleetServiceRead:
    fields = {k: getattr(r, k) for k in FleetServiceRead.model_fields}
    return FleetServiceRead(**fields)
