"""/api/v1/impounds — requested from the field, stored, valued, lien steps; the records
worklist (``deadline_due_before``). Holds: ``holds.router.subject_router`` (features)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp, Words
from csoapi.core.values import Plate, PlateState
from csoapi.impounds.schemas import (
    ImpoundCreate,
    ImpoundRead,
    ImpoundStatus,
    ImpoundSummary,
    StatusBody,
    StepBody,
    ValuationBody,
)
from csoapi.impounds.service import ImpoundFilters, ImpoundService
from csoapi.impounds.views import summary

router = APIRouter(prefix="/impounds", tags=["impounds"])
Requester = carrier(ImpoundService, "impounds:write", idempotency="optional")
Writer = carrier(ImpoundService, "impounds:write")
Reader = carrier(ImpoundService, "impounds:read")
Records = carrier(ImpoundService, "impounds:release")
CHANGE = error_responses(401, 403, 404, 409, 412, 422)


def _one(svc: ImpoundService, row) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.view(row), version=row.version)


@router.post(
    "",
    operation_id="impounds_create",
    description="Requests an impound from the field: the vehicle (a plate with its state, or a "
    "VIN), the reason and its legal authority, where it was towed from, the tow "
    "company and lot; `citation_id` and `call_id` link it. With `towed_at` it is "
    "`stored` at once (not before `requested_at`: 422 `tow_before_request`). Its "
    "deadlines are computed from the rule pack. Emits `impound.created`.",
    summary="Request an impound from the field (stored at once when `towed_at` is given)",
    status_code=201,
    response_model=ImpoundRead,
    responses=error_responses(401, 403, 422),
)
async def create_impound(body: ImpoundCreate, unit: Requester) -> Response:
    def work(svc: ImpoundService) -> Reply:
        i = svc.create(body)
        return created(svc.view(i), location=f"/api/v1/impounds/{i.id}", version=i.version)

    return await unit.run(work)


@router.get(
    "",
    operation_id="impounds_list",
    description="Keyset-paged by request time, filtered by `status`, plate, lot; with "
    "`deadline_due_before`, the records worklist: impounds with an open deadline "
    "due by then, most pressing first.",
    summary="Impounds by request time; with `deadline_due_before`: the records worklist, "
    "most pressing deadline first",
    response_model=Page[ImpoundSummary],
    responses=error_responses(401, 403, 422),
)
async def list_impounds(
    unit: Reader,
    status: Annotated[ImpoundStatus | None, Query()] = None,
    plate: Annotated[Plate | None, Query()] = None,
    plate_state: Annotated[PlateState | None, Query()] = None,
    deadline_due_before: Annotated[
        Timestamp | None,
        Query(description="Only impounds with an agency deadline not met, due before this"),
    ] = None,
    lot: Annotated[Words(100) | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    f = ImpoundFilters(
        status=status.value if status else None,
        plate=plate,
        plate_state=plate_state,
        deadline_due_before=deadline_due_before,
        lot=lot,
    )

    def work(svc: ImpoundService) -> Page[ImpoundSummary]:
        rows, nxt = svc.page(f, limit=limit, cursor=cursor)
        return Page[ImpoundSummary](items=[summary(i) for i in rows], next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{impound_id}",
    operation_id="impounds_get",
    description="The impound with its `deadlines` (each rule's legal citation, due time and "
    "status: open, met or missed, and why), disposal eligibility and holds. "
    "Audited.",
    summary="One impound with its deadlines, disposal eligibility and holds",
    response_model=ImpoundRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_impound(impound_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.get(impound_id)))


@router.post(
    "/{impound_id}/status",
    operation_id="impounds_status",
    description='Records the tow: `{"status": "stored", "at": …}` (not before the request, 422 '
    "`tow_before_request`); the storage deadlines start from it. Release and "
    "disposal have their own routes; any other move is a 409 `invalid_transition`.",
    summary="Record the tow: `requested` → `stored` (release and disposal have their own routes)",
    response_model=ImpoundRead,
    responses=CHANGE,
)
async def impound_status(
    impound_id: uuid.UUID, body: StatusBody, unit: Writer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.store(impound_id, body, if_match)))


@router.post(
    "/{impound_id}/valuation",
    operation_id="impounds_valuation",
    description="Records the agency's estimate of the vehicle's value, which picks the lien "
    "path the rule pack prescribes; once the lien process has begun on it, it "
    "cannot change (409 `valuation_locked`).",
    summary="The agency's estimate of the vehicle's value (it picks the lien path)",
    response_model=ImpoundRead,
    responses=CHANGE,
)
async def impound_valuation(
    impound_id: uuid.UUID, body: ValuationBody, unit: Writer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.value(impound_id, body, if_match)))


@router.post(
    "/{impound_id}/steps",
    operation_id="impounds_step",
    description="Records a lien or reporting step the rule pack names (DOJ notified, DMV record "
    "requested, …) with when it was done; it meets the matching deadline.",
    summary="Record a lien or reporting step (DOJ notified, DMV record requested, ...)",
    response_model=ImpoundRead,
    responses=CHANGE,
)
async def impound_step(
    impound_id: uuid.UUID, body: StepBody, unit: Records, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.step(impound_id, body, if_match)))
