"""/api/v1/payments — reconciliation (JSON pages or CSV) and reversals."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from csoapi.citations.payments import PaymentService, PaymentWindow
from csoapi.citations.schemas import PaymentPage, PaymentRead, ReverseBody
from csoapi.core.carrier import Reply, carrier
from csoapi.core.offload import offload
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.core.spreadsheet import spreadsheet_cell

router = APIRouter(prefix="/payments", tags=["payments"])
Signed = carrier(PaymentService)  # records (payments:read) or a portal (its own): the service
Reverser = carrier(PaymentService, "payments:write", idempotency="optional")
CSV_FIELDS = [
    "id",
    "citation_id",
    "permit_id",
    "kind",
    "amount_cents",
    "method",
    "reference",
    "paid_at",
    "posted_at",
    "posted_by",
    "reverses_id",
    "reason",
]


@router.get(
    "",
    operation_id="payments_list",
    summary="Payments posted in a window, with totals, for daily reconciliation",
    description="Records staff (payments:read) see every payment; a payment portal sees its "
    "own. A JSON page with the window's totals; the whole window as one CSV file is "
    "`GET /api/v1/payments/export` (this route also answers it to `Accept: text/csv`).",
    response_model=PaymentPage,
    responses=error_responses(401, 403, 422),
)
async def list_payments(
    unit: Signed,
    posted_from: Annotated[Timestamp | None, Query()] = None,
    posted_to: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    # Content negotiation as HTTP has it, kept for callers that send it; not in the contract,
    # where one operation answering two media types breaks generated clients (the CSV is its
    # own operation, below).
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    window = PaymentWindow(posted_from=posted_from, posted_to=posted_to)

    def page(svc: PaymentService) -> PaymentPage:
        rows, nxt = svc.payments_page(window, limit=limit, cursor=cursor)
        filters = asdict(window) | {"limit": limit, "cursor": cursor}
        svc.listed("payment.list", filters, len(rows))
        return PaymentPage(
            items=[PaymentRead.model_validate(p) for p in rows],
            next_cursor=nxt,
            totals=svc.totals(window),
        )

    if accept and "text/csv" in accept:
        return await unit.run(_exporter(window))
    return await unit.run(page)


@router.get(
    "/export",
    operation_id="payments_export",
    summary="Payments posted in a window, as one CSV file, for daily reconciliation",
    description="Who sees what as `GET /api/v1/payments`; every payment of the window in one "
    "file, oldest first (no paging). Cells a spreadsheet would run as a formula are "
    "prefixed with `'` (OWASP CSV injection).",
    response_class=Response,
    responses=error_responses(401, 403, 422)
    | {
        200: {
            "description": "The window's payments, one row each, with a header row",
            "content": {
                # As long as the window's payments make it: no length would be true.
                "text/csv": {"schema": {"type": "string"}, "example": ",".join(CSV_FIELDS)}
            },
        }
    },
)
async def export_payments(
    unit: Signed,
    posted_from: Annotated[Timestamp | None, Query()] = None,
    posted_to: Annotated[Timestamp | None, Query()] = None,
) -> Response:
    return await unit.run(_exporter(PaymentWindow(posted_from=posted_from, posted_to=posted_to)))


def _exporter(window: PaymentWindow) -> Any:
    def export(svc: PaymentService) -> Response:
        payments = svc.all_in(window)
        svc.listed("payment.export", asdict(window), len(payments))
        return Response(
            offload(_csv, payments),  # CPU-heavy: rendered on a worker thread
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
        )

    return export


def _csv(payments: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for p in payments:
        row = PaymentRead.model_validate(p).model_dump(mode="json")
        writer.writerow({k: spreadsheet_cell(row[k]) for k in CSV_FIELDS})
    return out.getvalue()


@router.get(
    "/{payment_id:uuid}",
    operation_id="payments_get",
    summary="Read one payment or reversal (where a posting's Location points)",
    description="Records staff (payments:read) read any; a payment portal reads its own "
    "(another's is a 404, as one that does not exist).",
    response_model=PaymentRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_payment(payment_id: uuid.UUID, unit: Signed) -> PaymentRead:
    return await unit.run(lambda svc: PaymentRead.model_validate(svc.payment(payment_id)))


@router.post(
    "/{payment_id}/reverse",
    operation_id="payments_reverse",
    description="Adds a reversal of a payment (a chargeback, a bounced cheque) with a reason; "
    "the payment itself is never changed or deleted, and the citation's balance "
    "grows back. Records staff only (403 `records_only`); a payment already "
    "reversed is a 409 `already_reversed`, and a reversal cannot be reversed (409 "
    "`not_a_payment`).",
    summary="Reverse a payment (records): adds a reversal, the payment stays",
    status_code=201,
    response_model=PaymentRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def reverse_payment(payment_id: uuid.UUID, body: ReverseBody, unit: Reverser) -> Response:
    return await unit.run(
        lambda svc: Reply(PaymentRead.model_validate(svc.reverse(payment_id, body)), 201)
    )
