"""/api/v1/evidence — evidence and property items and their chain of custody."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Day, Timestamp
from csoapi.evidence.schemas import (
    LABEL_MEDIA,
    BulkCustodyBody,
    BulkRead,
    BulkResult,
    Category,
    CustodyBody,
    CustodyRead,
    ItemCreate,
    ItemKind,
    ItemRead,
    ItemStatus,
    ItemSummary,
    ItemUpdate,
    VerifyRead,
)
from csoapi.evidence.service import ItemFilters, ItemService

router = APIRouter(prefix="/evidence", tags=["evidence"])
Reader = carrier(ItemService, "evidence:read")
Writer = carrier(ItemService, "evidence:write")
# Intake and custody appends take an Idempotency-Key (the contract: POSTs that create accept
# one): a custody event is never undone, so a retry must replay, not append twice.
Recorder = carrier(ItemService, "evidence:write", idempotency="optional")
E = (401, 403, 422)


def _one(svc: ItemService, item) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.view(item), version=item.version)


@router.post(
    "",
    operation_id="evidence_create",
    description="Takes in an item (evidence, found property or safekeeping) with a generated "
    "`barcode`: the intake event starts its custody chain and is logged. "
    "`report_id` and `call_id` link it; found property may carry its `owner`.",
    summary="Take in an item: evidence, found property or safekeeping (the intake event)",
    status_code=201,
    response_model=ItemRead,
    responses=error_responses(*E, 409),
)
async def create_item(body: ItemCreate, unit: Recorder) -> Response:
    def work(svc: ItemService) -> Reply:
        item = svc.create(body)
        return created(svc.view(item), location=f"/api/v1/evidence/{item.id}", version=item.version)

    return await unit.run(work)


@router.get(
    "",
    operation_id="evidence_list",
    description="Items, keyset-paged; inventories by `location_id` (and everything below it), "
    "overdue check-outs (`status=checked_out&due_back_before=`), and items past "
    "their review date (`review_before=`).",
    summary="Items; inventories: `location_id` (and below), `status=checked_out&"
    "due_back_before=` (overdue check-outs), `review_before=` (past review date)",
    response_model=Page[ItemSummary],
    responses=error_responses(*E),
)
async def list_items(  # noqa: PLR0913 - one query parameter per filter
    unit: Reader,
    kind: Annotated[ItemKind | None, Query()] = None,
    category: Annotated[Category | None, Query()] = None,
    status: Annotated[ItemStatus | None, Query()] = None,
    report_id: Annotated[uuid.UUID | None, Query()] = None,
    call_id: Annotated[uuid.UUID | None, Query()] = None,
    location_id: Annotated[uuid.UUID | None, Query()] = None,
    holder_id: Annotated[uuid.UUID | None, Query()] = None,
    review_before: Annotated[Day | None, Query()] = None,
    due_back_before: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    filters = ItemFilters(
        kind=kind,
        category=category,
        status=status,
        report_id=report_id,
        call_id=call_id,
        location_id=location_id,
        holder_id=holder_id,
        review_before=review_before,
        due_back_before=due_back_before,
    )

    def work(svc: ItemService) -> Page[ItemSummary]:
        rows, nxt = svc.page(filters, limit=limit, cursor=cursor)
        return Page[ItemSummary](
            items=[ItemSummary.model_validate(r) for r in rows], next_cursor=nxt
        )

    return await unit.run(work)


@router.post(
    "/custody/bulk",
    operation_id="evidence_custody_bulk",
    description="One custody action (a move, a transfer, a check-in, …) for many scanned "
    "barcodes, all or nothing: if any is refused, nothing is recorded (409 "
    "`bulk_refused` lists each refusal). With an `Idempotency-Key` a retry replays the "
    "first answer instead of recording the scan again.",
    summary="One custody action for many scanned barcodes, all or nothing",
    response_model=BulkRead,
    responses=error_responses(*E, 409),
)
async def bulk_custody(body: BulkCustodyBody, unit: Recorder) -> Response:
    def work(svc: ItemService) -> BulkRead:
        done = svc.bulk(body)
        return BulkRead(
            items=[
                BulkResult(barcode=i.barcode, id=i.id, seq=e.seq, status=i.status) for i, e in done
            ]
        )

    return await unit.run(work)


@router.get(
    "/{item_id:uuid}",
    operation_id="evidence_get",
    description="One item: where it is (location path) and who holds it, its status and review "
    "date. Audited.",
    summary="One item, where it is and who has it",
    response_model=ItemRead,
    responses=error_responses(*E, 404),
)
async def get_item(item_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.read(item_id)))


@router.patch(
    "/{item_id:uuid}",
    operation_id="evidence_update",
    description="Corrects the description, the report it belongs to, or the owner (for found "
    "property: 422 `owner_not_for_evidence` otherwise); custody moves only through "
    "`/custody`. Needs `If-Match`.",
    summary="Correct the description, the report it belongs to, or the owner",
    response_model=ItemRead,
    responses=error_responses(*E, 404, 412, 428),
)
async def update_item(
    item_id: uuid.UUID, body: ItemUpdate, unit: Writer, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.update(item_id, body, if_match)))


@router.post(
    "/{item_id:uuid}/custody",
    operation_id="evidence_custody_record",
    description="Appends a custody event (`transfer`, `move`, `check_out`, `check_in`, "
    "`lab_submit`, `court`) with `to_holder` or `to_location` as the action "
    "requires (422 `custody_target`), the reason and when (not before intake, 422 "
    "`before_intake`). Each event is hash-chained to the previous one and logged; "
    "none is ever changed. With an `Idempotency-Key` a retry replays the first answer "
    "instead of appending again. Emits `evidence.custody_changed`.",
    summary="Append a custody event: transfer, move, check_out, check_in, lab_submit, court",
    status_code=201,
    response_model=CustodyRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def record_custody(
    item_id: uuid.UUID, body: CustodyBody, unit: Recorder, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: ItemService) -> Reply:
        event = svc.record(item_id, body, if_match)
        item = svc.get(item_id)
        return created(
            CustodyRead.model_validate(event),
            location=f"/api/v1/evidence/{item_id}/custody",
            version=item.version,
        )

    return await unit.run(work)


@router.get(
    "/{item_id:uuid}/label",
    operation_id="evidence_label",
    description="The printable label (4 × 2 in, 300 dpi) with the barcode as Code 128 and QR "
    "code: `format=png`, `svg` or `pdf`.",
    summary="The printable label: Code 128 and QR code of the barcode (4 × 2 in, 300 dpi)",
    response_class=Response,
    responses=error_responses(*E, 404)
    | {200: {"content": {media: {} for media in LABEL_MEDIA.values()}}},
)
async def get_label(
    item_id: uuid.UUID,
    unit: Reader,
    format: Annotated[Literal["png", "svg", "pdf"], Query()] = "png",  # noqa: A002
) -> Response:
    def work(svc: ItemService) -> Response:
        body = svc.label(item_id, format)
        name = f'inline; filename="label-{item_id}.{format}"'
        return Response(body, media_type=LABEL_MEDIA[format], headers={"Content-Disposition": name})

    return await unit.run(work)


@router.get(
    "/{item_id:uuid}/custody",
    operation_id="evidence_custody_list",
    description="The item's chain of custody in order: each event with `seq`, `prev_hash` and "
    "`hash`.",
    summary="The chain of custody in order",
    response_model=Page[CustodyRead],
    responses=error_responses(*E, 404),
)
async def list_custody(
    item_id: uuid.UUID, unit: Reader, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Response:
    def work(svc: ItemService) -> Page[CustodyRead]:
        rows, nxt = svc.custody_page(item_id, limit=limit, cursor=cursor)
        return Page[CustodyRead](
            items=[CustodyRead.model_validate(r) for r in rows], next_cursor=nxt
        )

    return await unit.run(work)


@router.get(
    "/{item_id:uuid}/custody/verify",
    operation_id="evidence_custody_verify",
    description='Recomputes every link of the item\'s chain: `{"valid": true, "events", '
    '"head"}`, or `{"valid": false, "broken_at": seq}` at the first event whose '
    "hash does not follow.",
    summary="Recompute every link of the chain: valid with its head, or the first broken seq",
    response_model=VerifyRead,
    responses=error_responses(*E, 404),
)
async def verify_custody(item_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: ItemService) -> VerifyRead:
        v = svc.verify(item_id)
        return VerifyRead(
            valid=v.valid, events=v.events, head=v.head, broken_at=v.broken_at, why=v.why
        )

    return await unit.run(work)
