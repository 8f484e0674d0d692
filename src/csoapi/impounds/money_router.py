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
    description="For payment portals: by `plate` and `plate_state`, the plate's vehicles on a "
    "lot, with the lot's address and hours, the fees due now and what the owner "
    "must bring. Nothing else of the impound is shown; lookups are audited.",
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
    description="The fee quote as of `as_of` (default now; within the range the detail of a 422 "
    "`as_of_out_of_range` gives): tow, storage per calendar day (released within 24 "
    "hours of the tow is one day), admin and lien preparation, each line with its "
    "legal citation from the rate pack, and `total_cents`. A hearing decided "
    "`invalid` waives tow and storage.",
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
    description="The impound's fee payments and reversals, in posting order.",
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
    description="Pays fees like a citation payment: never above what is due (422 `overpayment` "
    "with the balance), only while the vehicle is stored (409 "
    "`impound_not_stored`). Machine clients must send `Idempotency-Key`; a retry "
    "replays the first answer.",
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
    description="Adds a reversal of a fee payment (records); the payment stays on record. A "
    "reversal cannot be reversed, nor a payment twice (409).",
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
    description="Releases the vehicle to its verified owner (`owner`: name and ID, "
    "`proof_of_ownership`). Every unmet condition (an active hold, fees not paid or "
    "waived, and by setting open overdue citations on the plate) is listed in one "
    "409 `release_refused` as `conditions: [{code, detail}]`. Emits "
    "`impound.released`.",
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
    description="Disposes of a vehicle unclaimed past its lien period (`route`: auction or "
    "dismantler, `at`, `proceeds_cents`); every unmet condition (the period not "
    "over, an active hold, a lien step missing) is listed in one 409 "
    "`disposal_refused` with `conditions`.",
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
