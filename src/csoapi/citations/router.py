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
    PaymentRead,
    Plate,
    PlateState,
    PortalLookup,
    VoidBody,
)
from csoapi.citations.service import CitationFilters, CitationService
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.context import Gated, provide
from csoapi.core.errors import error_responses
from csoapi.core.idempotency import ClientIdempotencyDep, IdempotencyKey
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.responses import respond
from csoapi.core.schemas import Timestamp
from csoapi.core.security import Scoped

router = APIRouter(prefix="/citations", tags=["citations"])
Issuer = Gated("citations:issue")
Reader = Scoped("citations:read")
Voider = Scoped("citations:void")
E = (401, 403, 422)


Svc = Annotated[CitationService, provide(CitationService)]


@router.post(
    "",
    operation_id="citations_issue",
    summary="Issue a citation or a warning",
    status_code=201,
    response_model=CitationRead,
    responses=error_responses(*E),
)
async def issue_citation(body: CitationCreate, gate: Issuer, key: IdempotencyKey) -> Response:
    # A hot path (CAD and handheld writes): one unit of work, see run_unit.
    def work(svc: CitationService) -> Response:
        idem = key.begin(svc.session, svc.ctx)
        c = svc.issue(body)
        return respond(
            svc.officer_view_from(c, []),  # just issued: nothing paid yet
            status_code=201,
            version=c.version,
            location=f"/api/v1/citations/{c.id}",
            idem=idem,
        )

    return await gate.run(CitationService, work)


@router.get(
    "",
    operation_id="citations_list",
    summary="List citations, newest first",
    response_model=Page[CitationSummary],
    responses=error_responses(*E),
)
def list_citations(
    _: Reader,
    svc: Svc,
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
) -> Page[CitationSummary]:
    filters = CitationFilters(
        status=status,
        plate=plate,
        plate_state=plate_state,
        issued_from=issued_from,
        issued_to=issued_to,
        issued_by=issued_by,
        min_balance_cents=min_balance_cents,
    )
    rows, nxt = svc.page(filters, limit=limit, cursor=cursor)
    paid = svc.payments([c.id for c in rows])
    items = []
    for c in rows:
        view = svc.officer_view_from(c, paid[c.id])
        items.append(CitationSummary.model_validate(view.model_dump()))
    return Page[CitationSummary](items=items, next_cursor=nxt)


PaySvc = Annotated[PaymentService, provide(PaymentService)]
Portal = Gated("citations:lookup")
Payer = Scoped("payments:write")


@router.get(
    "/lookup",
    operation_id="citations_lookup",
    summary="Payment portal: citations with a balance, by number or by plate and state",
    response_model=PortalLookup,
    responses=error_responses(*E, 429),
)
async def lookup_citations(
    gate: Portal,
    number: Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9\-]+$")] = None,
    plate: Annotated[Plate | None, Query()] = None,
    plate_state: Annotated[PlateState | None, Query()] = None,
) -> PortalLookup:
    # The portal's hot path: one unit of work (see run_unit), no worker threads on PostgreSQL.
    items = await gate.run(
        PaymentService, lambda svc: svc.lookup(number=number, plate=plate, plate_state=plate_state)
    )
    return PortalLookup(items=items)


@router.post(
    "/{citation_id:uuid}/payments",
    operation_id="citations_pay",
    summary="Pay all or part of a citation's balance (Idempotency-Key required for clients)",
    status_code=201,
    response_model=PaymentRead,
    responses=error_responses(*E, 404, 409),
)
def pay_citation(
    citation_id: uuid.UUID, body: PaymentCreate, _: Payer, svc: PaySvc, idem: ClientIdempotencyDep
) -> Response:
    _, payment = svc.pay(citation_id, body)
    return respond(
        PaymentRead.model_validate(payment),
        status_code=201,
        idem=idem,
        location=f"/api/v1/payments/{payment.id}",
    )


@router.get(
    "/{citation_id:uuid}",
    operation_id="citations_get",
    summary="Read a citation with its balance broken into lines",
    response_model=CitationRead,
    responses=error_responses(*E, 404),
)
def get_citation(citation_id: uuid.UUID, _: Reader, svc: Svc) -> Response:
    view = svc.read(citation_id)
    return respond(view, version=view.version)


@router.post(
    "/{citation_id:uuid}/void",
    operation_id="citations_void",
    summary="Void a citation (sergeant, not its issuer, before any payment)",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
def void_citation(
    citation_id: uuid.UUID, body: VoidBody, _: Voider, svc: Svc, if_match: IfMatchHeader = None
) -> Response:
    c = svc.void(citation_id, body, if_match)
    return respond(svc.officer_view(c), version=c.version)


AdjSvc = Annotated[AdjudicationService, provide(AdjudicationService)]
Adjudicator = Scoped("citations:adjudicate")


@router.post(
    "/{citation_id:uuid}/contest",
    operation_id="citations_contest",
    summary="Record an owner's contest (records): penalties stop accruing meanwhile",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
def contest_citation(
    citation_id: uuid.UUID,
    body: ContestBody,
    _: Adjudicator,
    svc: AdjSvc,
    if_match: IfMatchHeader = None,
) -> Response:
    c = svc.contest(citation_id, body, if_match)
    return respond(svc.officer_view(c), version=c.version)


@router.post(
    "/{citation_id:uuid}/adjudicate",
    operation_id="citations_adjudicate",
    summary="Decide a contest: upheld (may restart the penalty clock), dismissed, or reduced",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
def adjudicate_citation(
    citation_id: uuid.UUID,
    body: AdjudicateBody,
    _: Adjudicator,
    svc: AdjSvc,
    if_match: IfMatchHeader = None,
) -> Response:
    c = svc.adjudicate(citation_id, body, if_match)
    return respond(svc.officer_view(c), version=c.version)


@router.post(
    "/{citation_id:uuid}/collections",
    operation_id="citations_collections",
    summary="Refer an overdue citation to collections (records)",
    response_model=CitationRead,
    responses=error_responses(*E, 404, 409, 412),
)
def refer_to_collections(
    citation_id: uuid.UUID, _: Adjudicator, svc: AdjSvc, if_match: IfMatchHeader = None
) -> Response:
    c = svc.to_collections(citation_id, if_match)
    return respond(svc.officer_view(c), version=c.version)
