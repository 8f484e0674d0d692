"""/api/v1/permits/{id}/renewals — a parking permit's renewal paid like a citation: by a
payment portal (Idempotency-Key required of machine clients) or at the records counter, in
cents, for exactly the renewal fee its lookup shows."""

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from csoapi.citations.renewals import RenewalService
from csoapi.citations.schemas import PaymentCreate, PaymentRead, RenewalRead
from csoapi.core.carrier import Reply, carrier, created
from csoapi.core.problems import error_responses

router = APIRouter(prefix="/permits", tags=["permits"])
Payer = carrier(RenewalService, "payments:write", idempotency="clients")


@router.post(
    "/{permit_id}/renewals",
    operation_id="permits_renew",
    summary="Pay a permit's renewal: its validity runs on by its kind's renewal days",
    description="For an active permit, or one that ended within its kind's grace days "
    "(`GET /permits/lookup` shows the terms: `renewal.fee_cents`, the new `valid_to`, "
    "`open_until`). The amount must be the renewal fee exactly (422 `wrong_amount`); a "
    "revoked permit is a 409 `permit_revoked`, a lapsed one `permit_renewal_lapsed`, a kind "
    "renewed in person `permit_not_renewable`. The payment appears in reconciliation "
    "(`GET /payments`) with its `permit_id`.",
    status_code=201,
    response_model=RenewalRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def renew_permit(permit_id: uuid.UUID, body: PaymentCreate, unit: Payer) -> Response:
    def work(svc: RenewalService) -> Reply:
        p, payment = svc.renew(permit_id, body)
        read = RenewalRead(payment=PaymentRead.model_validate(payment), permit=svc.view(p))
        return created(read, location=f"/api/v1/payments/{payment.id}")

    return await unit.run(work)
