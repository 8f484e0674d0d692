"""/api/v1/vehicles — a plate's open citations and tow eligibility; the scofflaw list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from csoapi.citations.schemas import ScofflawList, VehicleRecord
from csoapi.citations.vehicles import VehicleService
from csoapi.core.carrier import carrier
from csoapi.core.problems import error_responses
from csoapi.core.values import Plate, PlateState

router = APIRouter(prefix="/vehicles", tags=["vehicles"])
Reader = carrier(VehicleService, "citations:read")
Records = carrier(VehicleService, "citations:adjudicate")


@router.get(
    "/scofflaws",
    operation_id="vehicles_scofflaws",
    description="Plates whose unpaid overdue citations reach `min_overdue` (default the "
    "installation's `CSOAPI_TOW_ELIGIBLE_OVERDUE`), most first, with their count "
    "and total balance; one audit row per listing.",
    summary="Plates with at least `min_overdue` unpaid overdue citations (records)",
    response_model=ScofflawList,
    responses=error_responses(401, 403, 422),
)
async def scofflaws(
    unit: Records,
    min_overdue: Annotated[int | None, Query(ge=1, le=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    def work(svc: VehicleService) -> ScofflawList:
        threshold = min_overdue or svc.ctx.settings.tow_eligible_overdue
        return ScofflawList(threshold=threshold, items=svc.scofflaws(threshold, limit))

    return await unit.run(work)


@router.get(
    "/{plate_state}/{plate}",
    operation_id="vehicles_get",
    description="The plate's open citations with their balances, the total owed, the unpaid "
    "overdue count and `tow_eligible` (that count reaching "
    "`CSOAPI_TOW_ELIGIBLE_OVERDUE`), and its impound history. Audited as a read of "
    "a plate.",
    summary="A plate's open citations, balance, overdue count and tow eligibility",
    response_model=VehicleRecord,
    responses=error_responses(401, 403, 422),
)
async def vehicle(
    plate_state: Annotated[PlateState, Path()], plate: Annotated[Plate, Path()], unit: Reader
) -> Response:
    return await unit.run(lambda svc: svc.record(plate_state, plate))
