"""/api/v1/fleet — vehicles and equipment (radios, radar trailers): maintenance by date or
by odometer, vendor service records, check-out and return; read by the field, kept by
sergeants and records (``fleet:write``, check-outs included)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Day, Id
from csoapi.fleet.schemas import (
    Category,
    FleetCheckoutCreate,
    FleetCheckoutRead,
    FleetCreate,
    FleetFilters,
    FleetKind,
    FleetRead,
    FleetRetireBody,
    FleetReturnBody,
    FleetServiceCreate,
    FleetServiceRead,
    FleetStatus,
    FleetStatusBody,
    FleetTaskCreate,
    FleetUpdate,
)
from csoapi.fleet.service import FleetService
from csoapi.fleet.upkeep import FleetUpkeep

router = APIRouter(prefix="/fleet", tags=["fleet"])
Reader = carrier(FleetService, "field:read")
Keeper = carrier(FleetService, "fleet:write")
Adder = carrier(FleetService, "fleet:write", idempotency="optional")
UpkeepReader = carrier(FleetUpkeep, "field:read")
Upkeep = carrier(FleetUpkeep, "fleet:write")
ServiceFiler = carrier(FleetUpkeep, "fleet:write", idempotency="optional")
Margin = Annotated[
    int,
    Query(
        ge=0,
        le=100_000,
        description="Worklist: items with a task due by odometer within this many miles of "
        "the item's last reading (0: reached)",
    ),
]


def _item(svc: FleetService, item) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.view(item), version=item.version)


@router.get(
    "",
    operation_id="fleet_list",
    summary="Fleet items in the order they were added; with service_due_before, the "
    "maintenance worklist",
    description="`service_due_before=DATE`: items (not retired) with a maintenance task due "
    "by date on or before DATE, or due by odometer (a task whose reading the item's odometer "
    "has reached, or comes within `service_due_odometer_within` miles of). "
    "`service_due_odometer_within` alone: the odometer half only.",
    response_model=Page[FleetRead],
    responses=error_responses(401, 403, 422),
)
async def list_fleet(
    unit: Reader,
    kind: Annotated[FleetKind | None, Query()] = None,
    category: Annotated[Category | None, Query()] = None,
    status: Annotated[FleetStatus | None, Query()] = None,
    service_due_before: Annotated[Day | None, Query()] = None,
    service_due_odometer_within: Margin | None = None,
    checked_out: Annotated[bool | None, Query()] = None,
    holder: Annotated[Id | None, Query(description="Checked out to this user")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    f = FleetFilters(
        kind=kind,
        category=category,
        status=status,
        service_due_before=service_due_before,
        service_due_odometer_within=service_due_odometer_within,
        checked_out=checked_out,
        holder=holder,
    )

    def work(svc: FleetService) -> Page[FleetRead]:
        items, nxt = svc.page(f, limit=limit, cursor=cursor)
        return Page[FleetRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "",
    operation_id="fleet_create",
    description=(
        "Adds a vehicle (VIN, plate) or a piece of equipment (radio, radar trailer) with a "
        "unit number unique in any case (409 `unit_number_taken`), an odometer reading and "
        "maintenance tasks, each due by date or by odometer (exactly one; an interval of the "
        "same measure makes it recur). `Idempotency-Key` makes a retry safe."
    ),
    summary="Add a vehicle or a piece of equipment, with its maintenance schedule",
    status_code=201,
    response_model=FleetRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_item(body: FleetCreate, unit: Adder) -> Response:
    def work(svc: FleetService) -> Reply:
        i = svc.create(body)
        return created(svc.view(i), location=f"/api/v1/fleet/{i.id}", version=i.version)

    return await unit.run(work)


@router.get(
    "/{item_id}",
    operation_id="fleet_get",
    description=(
        "One item with its maintenance (each task's `overdue`), `maintenance_overdue` and who"
        " has it checked out (or null), and the ETag to change it."
    ),
    summary="Read one fleet item, its maintenance and who has it",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_item(item_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: FleetService) -> Reply:
        read = svc.read(item_id)
        return ok(read, version=read.version)

    return await unit.run(work)


@router.patch(
    "/{item_id}",
    operation_id="fleet_update",
    description=(
        "Changes an item's details or records a new odometer reading, which only goes up (422"
        " `odometer_went_back`, with the current reading). A retired item is not changed (409"
        " `fleet_item_retired`). Needs `If-Match` (428 without it, 412 when stale)."
    ),
    summary="Change an item's details, or record a new odometer reading",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_item(
    item_id: uuid.UUID, body: FleetUpdate, unit: Keeper, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _item(svc, svc.update(item_id, body, if_match)))


@router.post(
    "/{item_id}/status",
    operation_id="fleet_status",
    description=(
        "Takes an item out of service (a reason says why) or puts it back; a retired item "
        "stays retired (409 `fleet_item_retired`). An item out of service cannot be checked "
        "out."
    ),
    summary="Take an item out of service or put it back, with a reason",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def set_status(
    item_id: uuid.UUID, body: FleetStatusBody, unit: Keeper, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _item(svc, svc.set_status(item_id, body, if_match)))


@router.post(
    "/{item_id}/retire",
    operation_id="fleet_retire",
    description=(
        "Retires an item for good, with a reason: it leaves the worklist and takes no "
        "booking. Refused while it is checked out (409 `fleet_item_checked_out`) or once "
        "retired."
    ),
    summary="Retire an item (not while it is checked out)",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def retire_item(
    item_id: uuid.UUID, body: FleetRetireBody, unit: Keeper, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _item(svc, svc.retire(item_id, body, if_match)))


@router.post(
    "/{item_id}/maintenance",
    operation_id="fleet_task_add",
    description=(
        "Adds one maintenance task, due by `due_on` or by `due_odometer` (exactly one, else "
        "422), optionally recurring every N days or N miles."
    ),
    summary="Add a maintenance task, due by date or by odometer (exactly one)",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def add_task(
    item_id: uuid.UUID, body: FleetTaskCreate, unit: Keeper, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _item(svc, svc.add_task(item_id, body, if_match)))


@router.delete(
    "/{item_id}/maintenance/{task_id}",
    operation_id="fleet_task_remove",
    description=(
        "Removes a maintenance task (404 `fleet_task_not_found` when the item has no such task)."
    ),
    summary="Remove a maintenance task",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 412, 422),
)
async def remove_task(
    item_id: uuid.UUID, task_id: uuid.UUID, unit: Keeper, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _item(svc, svc.remove_task(item_id, task_id, if_match)))


@router.post(
    "/{item_id}/service-records",
    operation_id="fleet_service_create",
    description=(
        "Files an outside vendor's service record: vendor, date, odometer, work done, cost in"
        " cents, invoice reference, and the tasks it completes (this item's: 422 "
        "`unknown_task`). A recurring task moves on from the service's date or odometer; a "
        "one-off task is done. Completing an odometer task needs the reading (422 "
        "`odometer_required`), which only goes up (422 `odometer_went_back`)."
    ),
    summary="File an outside vendor's service record; the tasks it completes move on",
    status_code=201,
    response_model=FleetServiceRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def create_service_record(
    item_id: uuid.UUID, body: FleetServiceCreate, unit: ServiceFiler
) -> Response:
    def work(svc: FleetUpkeep) -> Reply:
        item, record = svc.record_service(item_id, body)
        location = f"/api/v1/fleet/{item.id}/service-records"
        return created(FleetServiceRead.model_validate(record), location=location)

    return await unit.run(work)


@router.get(
    "/{item_id}/service-records",
    operation_id="fleet_service_list",
    description=("An item's service records, newest service first, paged by cursor."),
    summary="An item's service records, newest service first",
    response_model=Page[FleetServiceRead],
    responses=error_responses(401, 403, 404, 422),
)
async def list_service_records(
    item_id: uuid.UUID,
    unit: UpkeepReader,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: FleetUpkeep) -> Page[FleetServiceRead]:
        items, nxt = svc.service_page(item_id, limit=limit, cursor=cursor)
        return Page[FleetServiceRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "/{item_id}/check-out",
    operation_id="fleet_check_out",
    description=(
        "Checks an item in service out to an active staff member (422 `unknown_holder`), with"
        " an expected return in the future (422 `expected_return_past`). One already out is "
        "409 `fleet_item_checked_out`, whose `checkout` names who has it since when; an item "
        "out of service or retired is a 409 too."
    ),
    summary="Check an item out to a staff member; one already out is a 409 naming who has it",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def check_out(
    item_id: uuid.UUID, body: FleetCheckoutCreate, unit: Upkeep, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _item(svc, svc.check_out(item_id, body, if_match)))


@router.post(
    "/{item_id}/return",
    operation_id="fleet_return",
    description=(
        "Returns the item, closing its check-out, with a note and an odometer reading (which "
        "only goes up). Nothing out: 409 `fleet_item_not_out`."
    ),
    summary="Return a checked-out item (closes its check-out)",
    response_model=FleetRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def return_item(
    item_id: uuid.UUID, body: FleetReturnBody, unit: Upkeep, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _item(svc, svc.give_back(item_id, body, if_match)))


@router.get(
    "/{item_id}/checkouts",
    operation_id="fleet_checkouts",
    description=("An item's check-outs, latest first: who had it, from when to when."),
    summary="An item's check-outs, latest first",
    response_model=Page[FleetCheckoutRead],
    responses=error_responses(401, 403, 404, 422),
)
async def list_checkouts(
    item_id: uuid.UUID,
    unit: UpkeepReader,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: FleetUpkeep) -> Page[FleetCheckoutRead]:
        items, nxt = svc.checkout_page(item_id, limit=limit, cursor=cursor)
        return Page[FleetCheckoutRead](items=items, next_cursor=nxt)

    return await unit.run(work)
