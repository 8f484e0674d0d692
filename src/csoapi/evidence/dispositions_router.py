"""/api/v1/evidence/{id}/disposition — request, approve (another person), execute."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.evidence.dispositions import DispositionService
from csoapi.evidence.schemas import (
    DispositionExecute,
    DispositionRead,
    DispositionRequest,
    ThroughputRead,
)

router = APIRouter(prefix="/evidence", tags=["evidence"])
Reader = carrier(DispositionService, "evidence:read")
Requester = carrier(DispositionService, "evidence:write")
Approver = carrier(DispositionService, "evidence:approve")
Disposer = carrier(DispositionService, "evidence:dispose")
Stats = carrier(DispositionService, "stats:read")
W = error_responses(401, 403, 404, 409, 412, 422)


@router.get(
    "/stats/throughput",
    operation_id="evidence_throughput",
    description="Items taken in and disposed of in a window, by kind, and the "
    "disposition-to-intake ratio (how fast the property room clears).",
    summary="Intake and dispositions in a window, and the disposition-to-intake ratio",
    response_model=ThroughputRead,
    responses=error_responses(401, 403, 422),
)
async def throughput(
    unit: Stats,
    from_: Annotated[Timestamp, Query(alias="from")],
    to: Annotated[Timestamp, Query()],
) -> Response:
    return await unit.run(
        lambda svc: ok(
            ThroughputRead.model_validate(svc.throughput(from_, to)).model_dump(by_alias=True)
        )
    )


def _one(d) -> Reply:  # type: ignore[no-untyped-def]
    return ok(DispositionRead.model_validate(d))


@router.get(
    "/{item_id:uuid}/disposition",
    operation_id="evidence_disposition_list",
    description="The item's disposition requests, oldest first, with their approvals and "
    "execution.",
    summary="The item's disposition requests, oldest first",
    response_model=list[DispositionRead],
    responses=error_responses(401, 403, 404, 422),
)
async def list_dispositions(item_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(
        lambda svc: [DispositionRead.model_validate(d) for d in svc.of_item(item_id)]
    )


@router.post(
    "/{item_id:uuid}/disposition",
    operation_id="evidence_disposition_request",
    description="Asks to return an item to its owner, destroy it or auction it, with the "
    "reason. One open request at a time (409 `disposition_open`); an item checked "
    "out, held or not yet disposable is refused with the conditions unmet (409).",
    summary="Ask to return, destroy or auction an item (409 with the conditions unmet)",
    status_code=201,
    response_model=DispositionRead,
    responses=W,
)
async def request_disposition(
    item_id: uuid.UUID, body: DispositionRequest, unit: Requester
) -> Response:
    def work(svc: DispositionService) -> Reply:
        d = svc.request(item_id, body)
        body_ = DispositionRead.model_validate(d)
        return created(body_, location=f"/api/v1/evidence/{item_id}/disposition")

    return await unit.run(work)


@router.post(
    "/{item_id:uuid}/disposition/approve",
    operation_id="evidence_disposition_approve",
    description="Approves the open request: never by whoever requested it (403 "
    "`separation_of_duties`).",
    summary="Approve the open request (a supervisor who did not request it)",
    response_model=DispositionRead,
    responses=W,
)
async def approve_disposition(
    item_id: uuid.UUID, unit: Approver, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc.approve(item_id, if_match)))


@router.post(
    "/{item_id:uuid}/disposition/execute",
    operation_id="evidence_disposition_execute",
    description="Carries out the approved disposition: for a return, the receiver's name and "
    "ID; for destruction, a witness; for high-risk items, a second person. The item "
    "leaves custody (`released`, `destroyed`, `auctioned`) and the custody chain "
    "records it.",
    summary="Carry out the approved disposition: the receiver's ID for a return, a witness "
    "for destruction, a second person for high-risk items",
    response_model=DispositionRead,
    responses=W,
)
async def execute_disposition(
    item_id: uuid.UUID, body: DispositionExecute, unit: Disposer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc.execute(item_id, body, if_match)))
