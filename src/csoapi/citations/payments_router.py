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
from csoapi.core import audit
from csoapi.core.context import provide
from csoapi.core.errors import error_responses
from csoapi.core.idempotency import IdempotencyDep
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from csoapi.core.responses import respond
from csoapi.core.schemas import Timestamp
from csoapi.core.security import Scoped

router = APIRouter(prefix="/payments", tags=["payments"])
Signed = Scoped()
Payer = Scoped("payments:write")
CSV_FIELDS = [
    "id",
    "citation_id",
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
# What makes a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula: the
# OWASP "CSV Injection" list. A portal's reference of "=HYPERLINK(...)" would otherwise run on
# a finance clerk's machine when the reconciliation file is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """``value`` as a CSV cell that a spreadsheet shows and never evaluates: text starting
    like a formula gets OWASP's leading single quote. Only text is touched, so a number
    (an amount, a negative one included) stays a number. The export refuses nothing: a
    reference is the portal's own and must come back as sent (the JSON listing does), and a
    reversal's reason is free text where "-" starts a sentence."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


Svc = Annotated[PaymentService, provide(PaymentService)]


@router.get(
    "",
    operation_id="payments_list",
    summary="Payments posted in a window, with totals, for daily reconciliation",
    description="Records staff (payments:read) see every payment; a payment portal sees its "
    "own. Send `Accept: text/csv` for the whole window as CSV.",
    response_model=PaymentPage,
    responses=error_responses(401, 403, 422) | {200: {"content": {"text/csv": {}}}},
)
def list_payments(
    _: Signed,
    svc: Svc,
    posted_from: Annotated[Timestamp | None, Query()] = None,
    posted_to: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    accept: Annotated[str | None, Header(max_length=256)] = None,
) -> Response:
    window = PaymentWindow(posted_from=posted_from, posted_to=posted_to)
    if accept and "text/csv" in accept:
        payments = svc.all_in(window)
        _audit(svc, "payment.export", window, len(payments))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for p in payments:
            row = PaymentRead.model_validate(p).model_dump(mode="json")
            writer.writerow({k: spreadsheet_cell(row[k]) for k in CSV_FIELDS})
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
        )
    rows, nxt = svc.payments_page(window, limit=limit, cursor=cursor)
    _audit(svc, "payment.list", window, len(rows), limit=limit, cursor=cursor)
    page = PaymentPage(
        items=[PaymentRead.model_validate(p) for p in rows],
        next_cursor=nxt,
        totals=svc.totals(window),
    )
    return respond(page)


def _audit(svc: PaymentService, action: str, w: PaymentWindow, count: int, **page: Any) -> None:
    """The listing or export as one audit row: who, the window and paging, how many rows."""
    filters = asdict(w) | page
    audit.record_list(
        svc.session, svc.ctx, action, entity_type="payment", filters=filters, count=count
    )


@router.post(
    "/{payment_id}/reverse",
    operation_id="payments_reverse",
    summary="Reverse a payment (records): adds a reversal, the payment stays",
    status_code=201,
    response_model=PaymentRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
def reverse_payment(
    payment_id: uuid.UUID, body: ReverseBody, _: Payer, svc: Svc, idem: IdempotencyDep
) -> Response:
    reversal = svc.reverse(payment_id, body)
    return respond(PaymentRead.model_validate(reversal), status_code=201, idem=idem)
