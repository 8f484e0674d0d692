"""/api/v1/impounds: the portal's lookup, the fee quote, payments, release and disposal."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.core.values import Plate, PlateState
from csoapi.impounds.money import FeeService
from csoapi.impounds.release import ReleaseService
from csoapi.impounds.schemas import (
    DisposeBody,
    FeeQuote,
    ImpoundPaymentRead,
    ImpoundRead,
    PaymentCreate,
    PortalImpounds,
    ReleaseBody,
    ReverseBody,
)

router = APIRouter(prefix="/impounds", tags=["impounds"])
Portal = carrier(FeeService, "citations:lookup")
Reader = carrier(FeeService, "impounds:read")
Payer = carrier(FeeService, "payments:write", idempotency="clients")
Reverser = carrier(FeeService, "payments:write")
Releaser = carrier(ReleaseService, "impounds:release")
REFUSED = error_responses(401, 403, 404, 409, 412, 422)


@router.get(
    "/lookup",
    operation_id="impounds_lookup",
    summary="Payment portal: the plate's vehicles on a lot, where, when open, fees due, "
    "what to bring (nothing else)",
    response_model=PortalImpounds,
    responses=error_responses(401, 403, 422, 429),
)
async def lookup_impounds(
    unit: Portal,
    plate: Annotated[Plate, Query()],
    plate_state: Annotated[PlateState, Query()],
) -> Response:
    return await unit.run(lambda svc: PortalImpounds(items=svc.lookup(plate, plate_state)))


@router.get(
    "/{impound_id}/fees",
    operation_id="impounds_fees",
    summary="The fee quote as of an instant (default now): tow, storage, admin, lien "
    "preparation, with their legal citations",
    response_model=FeeQuote,
    responses=error_responses(401, 403, 404, 422),
)
async def impound_fees(
    impound_id: uuid.UUID,
    unit: Reader,
    as_of: Annotated[Timestamp | None, Query()] = None,
) -> Response:
    return await unit.run(lambda svc: svc.quote(impound_id, as_of))


@router.get(
    "/{impound_id}/payments",
    operation_id="impounds_payments",
    summary="The impound's payments and reversals, in posting order",
    response_model=list[ImpoundPaymentRead],
    responses=error_responses(401, 403, 404, 422),
)
async def impound_payments(impound_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(
        lambda svc: [ImpoundPaymentRead.model_validate(p) for p in svc.payments(impound_id)]
    )


@router.post(
    "/{impound_id}/payments",
    operation_id="impounds_pay",
    summary="Pay impound fees (never above the balance; Idempotency-Key required from "
    "machine clients)",
    status_code=201,
    response_model=ImpoundPaymentRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def pay_impound(impound_id: uuid.UUID, body: PaymentCreate, unit: Payer) -> Response:
    def work(svc: FeeService) -> Reply:
        p = svc.pay(impound_id, body)
        return created(
            ImpoundPaymentRead.model_validate(p),
            location=f"/api/v1/impounds/{impound_id}/payments/{p.id}",
        )

    return await unit.run(work)


@router.post(
    "/{impound_id}/payments/{payment_id}/reverse",
    operation_id="impounds_payment_reverse",
    summary="Reverse a fee payment (records)",
    status_code=201,
    response_model=ImpoundPaymentRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def reverse_impound_payment(
    impound_id: uuid.UUID, payment_id: uuid.UUID, body: ReverseBody, unit: Reverser
) -> Response:
    def work(svc: FeeService) -> Reply:
        p = svc.reverse(impound_id, payment_id, body)
        return created(
            ImpoundPaymentRead.model_validate(p),
            location=f"/api/v1/impounds/{impound_id}/payments/{p.id}",
        )

    return await unit.run(work)


@router.post(
    "/{impound_id}/release",
    operation_id="impounds_release",
    summary="Release to the verified owner; 409 with every unmet condition",
    response_model=ImpoundRead,
    responses=REFUSED,
)
async def release_impound(
    impound_id: uuid.UUID, body: ReleaseBody, unit: Releaser, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: ReleaseService) -> Reply:
        i = svc.release(impound_id, body, if_match)
        return ok(svc.view(i), version=i.version)

    return await unit.run(work)


@router.post(
    "/{impound_id}/dispose",
    operation_id="impounds_dispose",
    summary="Dispose of an unclaimed vehicle past its lien period; 409 with every unmet condition",
    response_model=ImpoundRead,
    responses=REFUSED,
)
async def dispose_impound(
    impound_id: uuid.UUID, body: DisposeBody, unit: Releaser, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: ReleaseService) -> Reply:
        i = svc.dispose(impound_id, body, if_match)
        return ok(svc.view(i), version=i.version)

    return await unit.run(work)
