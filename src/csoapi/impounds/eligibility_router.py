"""/api/v1/vehicles/tow-eligible — the plates the citation ledger makes towable (dry run)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import carrier
from csoapi.core.problems import error_responses
from csoapi.impounds.eligibility import EligibilityService
from csoapi.impounds.schemas import TowEligibleList

router = APIRouter(prefix="/vehicles", tags=["vehicles"])
Reader = carrier(EligibilityService, "citations:read")


@router.get(
    "/tow-eligible",
    operation_id="vehicles_tow_eligible",
    description="A dry run of the impound rule pack's tow rule over plates with unpaid overdue "
    "citations: each plate it qualifies, with the citations that qualify it, at "
    "most `limit` plates. Nothing is towed or recorded; the answer helps plan "
    "enforcement.",
    summary="Plates the rule pack's tow rule qualifies (dry run), each with its citations",
    response_model=TowEligibleList,
    responses=error_responses(401, 403, 422),
)
async def tow_eligible(unit: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Response:
    return await unit.run(lambda svc: svc.tow_eligible(limit))
