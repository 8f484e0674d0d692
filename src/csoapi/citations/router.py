"""/api/v1/citations — issuance, officer/records reads, voiding."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.citations.adjudication import AdjudicationService
from csoapi.citations.payments import PaymentService
from csoapi.citations.schemas import (
    AdjudicateBody,
    CitationCreate,
    CitationRead,
    CitationStatus,
    CitationSummary,
    ContestBody,
    PaymentCreate,
    PaymentPosted,
    PaymentRead,
    Plate,
    PlateState,
    PortalLookup,
    VoidBody,
)
from csoapi.citations.service import CitationFilters, CitationService
from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp

router = APIRouter(prefix="/citations", tags=["citations"])
Issuer = carrier(CitationService, "citations:issue", idempotency="optional")
Reader = carrier(CitationService, "citations:read")
Voider = carrier(CitationService, "citations:void")
Portal = carrier(PaymentService, "citations:lookup")
Payer = carrier(PaymentService, "payments:write", idempotency="clients")
Adjudicator = carrier(AdjudicationService, "citations:adjudicate")
E = (401, 403, 422)


@router.post(
    "",
    operation_id="citations_issue",
    description="Issues a citation (or a `kind: warning`, which has no fine) with a gap-free "
    "yearly `number`. The fine and penalty tiers are snapshotted from the violation "
    "version in force on `issued_at` (422 `unknown_violation` when none is); later "
    "schedule changes never change it. A vehicle needs a plate with its state, or a "
    "VIN (422 `vehicle_unidentified`). In a permit zone, a vehicle a valid permit "
    "covers is a 409 `permit_valid` unless `permit_override` gives a reason. Emits "
    "`citation.issued`.",
    summary="Issue a citation or a warning",
    status_code=201,
    response_model=CitationRead,
    responses=error_responses(*E),
)
async def issue_citation(body: CitationCreate, unit: Issuer) -> Response:
    def work(svc: CitationService) -> Reply:
        c = svc.issue(body)
        return created(
            svc.officer_view_from(c, []),  # just issued: nothing paid yet
            location=f"/api/v1/citations/{c.id}",
            version=c.version,
        )

    return await unit.run(work)


@router.get(
    "",
    operation_id="citations_list",
    description="Keyset-paged, newest first; filters `status`, `plate`/`plate_state`, the "
    "issued window, `issued_by` and `min_balance_cents`. Each item is the officer "
    "view, with its balance as of now. Every listing is one audit row.",
    summary="List citations, newest first",
    response_model=Page[CitationSummary],
    responses=error_responses(*E),
)
async def list_citations(
    unit: Reader,
    status: Annotated[CitationStatus | None, Query()] = None,
    plate: Annotated[Plate | None, Query()] = None,
    plate_state: Annotated[PlateState | None, Query()] = None,
    issued_from: Annotated[Timestamp | None, Query()] = None,
    issued_to: Annotated[Timestamp | None, Query()] = None,
    issued_by: Annotated[uuid.UUID | None, Query()] = None,
    min_balance_cents: Annotated[
        int | None, Query(ge=0, le=100_000_000, description="Only citations owing at least this")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    filters = CitationFilters(
        status=status,
        plate=plate,
        plate_state=plate_state,
        issued_from=issued_from,
        issued_to=issued_to,
        issued_by=issued_by,
        min_balance_cents=min_balance_cents,
    )

    def work(svc: CitationService) -> Page[CitationSummary]:
        rows, nxt = svc.page(filters, limit=limit, cursor=cursor)
        paid = svc.payments([c.id for c in rows])
        items = []
        for c in rows:
            view = svc.officer_view_from(c, paid[c.id])
            items.append(CitationSummary.model_validate(view.model_dump()))
        return Page[CitationSummary](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/lookup",
    operation_id="citations_lookup",
    description="For payment portals: by `number`, or by `plate` and `plate_state` (422 "
    "`lookup_needs_key` with neither). Only citations with a balance, in the portal "
    "view (no notes, no officer, no VIN). Limited per client to "
    "`CSOAPI_LOOKUP_RATE_PER_MINUTE` lookups a minute (429 with `Retry-After`); "
    "every lookup is audited.",
    summary="Payment portal: citations with a balance, by number or by plate and state",
    response_model=PortalLookup,
    responses=error_responses(*E, 429),
)
async def lookup_citations(
    unit: Portal,
    number: Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9\-]+$")] = None,
    plate: Annotated[Plate | None, Query()] = None,
    plate_state: Annotated[PlateState | None, Query()] = None,
) -> Response:
    return await unit.run(
        lambda svc: PortalLookup(
            items=svc.lookup(number=number, plate=plate, plate_state=plate_state)
        )
    )


@router.post(
    "/{citation_id:uuid}/payments",
    operation_id="citations_pay",
    description="Posts a payment of `amount_cents` (1 or more) by `method`, with the payer's "
    "`reference` and optionally `paid_at` (when the payer paid; it moves no "
    "penalty). The answer is the payment with `balance_cents`, what is still owed "
    "after it; the `Location` is `GET /payments/{id}`. More than the balance is a "
    "422 `overpayment` carrying `balance_cents`; a paid, void or dismissed citation "
    "is a 409 `citation_paid`/`citation_void`/`citation_dismissed` with "
    "`balance_cents: 0`; a warning, 409 `citation_is_warning`. Two concurrent "
    "payments never together exceed the balance. Machine clients must send "
    "`Idempotency-Key` (422 `idempotency_key_required`); a retry with the same key "
    "and body replays the first answer (`Idempotent-Replayed: true`), a different "
    "body is a 422 `idempotency_key_reused`. Emits `payment.posted`, and "
    "`citation.paid` when settled.",
    summary="Pay all or part of a citation's balance (Idempotency-Key required for clients)",
    status_code=201,
    response_model=PaymentPosted,
    responses=error_responses(*E, 404, 409),
)
async def pay_citation(citation_id: uuid.UUID, body: PaymentCreate, unit: Payer) -> Response:
    def work(svc: PaymentService) -> Reply:
        _, payment, balance = svc.pay(citation_id, body)
        posted = PaymentRead.model_validate(payment).model_dump()
        read = PaymentPosted(**posted, balance_cents=balance)
        return created(read, location=f"/api/v1/payments/{payment.id}")

    return await unit.run(work)


@router.get(
    "/{citation_id:uuid}",
    operation_id="citations_get",
    description="The officer view: the snapshot of fine and penalties, what is paid, and "
    "`balance_lines`, the lines that make up `balance_cents` as of now; `status` is "
    "derived (`overdue` once past due with a balance). Audited.",
    summary="Read a citation with its balance broken into lines",
    response_model=CitationRead,
    responses=error_responses(*E, 404),
)
async def get_citation(citation_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: CitationService) -> Reply:
        view = svc.read(citation_id)
        return ok(view, version=view.version)

    return await unit.run(work)


@router.post(
    "/{citation_id:uuid}/void",
    operation_id="citations_void",
    description="Voids an open or overdue citation with a reason. Never by the officer who "
    "issued it (403 `separation_of_duties`), never once a payment is posted (409 "
    "`citation_has_payments`), never a citation in another state (409 "
    "`citation_not_voidable`). Emits `citation.voided`.",
    summary="Void a citation (sergeant, not its issuer, before any payment)",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def void_citation(
    citation_id: uuid.UUID, body: VoidBody, unit: Voider, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: CitationService) -> Reply:
        c = svc.void(citation_id, body, if_match)
        return ok(svc.officer_view(c), version=c.version)

    return await unit.run(work)


@router.post(
    "/{citation_id:uuid}/contest",
    operation_id="citations_contest",
    description="Records that the owner contests the citation; penalties stop accruing while it "
    "is contested. A citation in a state that cannot be contested is a 409 "
    "`not_contestable`.",
    summary="Record an owner's contest (records): penalties stop accruing meanwhile",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def contest_citation(
    citation_id: uuid.UUID, body: ContestBody, unit: Adjudicator, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: AdjudicationService) -> Reply:
        c = svc.contest(citation_id, body, if_match)
        return ok(svc.officer_view(c), version=c.version)

    return await unit.run(work)


@router.post(
    "/{citation_id:uuid}/adjudicate",
    operation_id="citations_adjudicate",
    description="Decides a contested citation (409 `not_contested` otherwise): `upheld` (the "
    "penalty clock may restart from the decision), `dismissed` (nothing is owed), "
    "or `reduced` with `reduced_to_cents` (422 `reduced_amount_required`; below the "
    "fine, else 422 `not_a_reduction`; not below what is paid, 422 `below_paid`).",
    summary="Decide a contest: upheld (may restart the penalty clock), dismissed, or reduced",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def adjudicate_citation(
    citation_id: uuid.UUID,
    body: AdjudicateBody,
    unit: Adjudicator,
    if_match: IfMatchHeader = None,
) -> Response:
    def work(svc: AdjudicationService) -> Reply:
        c = svc.adjudicate(citation_id, body, if_match)
        return ok(svc.officer_view(c), version=c.version)

    return await unit.run(work)


@router.post(
    "/{citation_id:uuid}/collections",
    operation_id="citations_collections",
    description="Refers an overdue citation to collections (409 `not_overdue` for any other); "
    "it stays payable.",
    summary="Refer an overdue citation to collections (records)",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def refer_to_collections(
    citation_id: uuid.UUID, unit: Adjudicator, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: AdjudicationService) -> Reply:
        c = svc.to_collections(citation_id, if_match)
        return ok(svc.officer_view(c), version=c.version)

    return await unit.run(work)
