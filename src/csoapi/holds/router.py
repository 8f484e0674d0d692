"""The hold routes of one kind of record (contract section 6a), built for each feature
whose records can be held: ``subject_router(IMPOUND_HOLDS, prefix="/impounds", ...)`` gives
``/impounds/holds`` (the review worklist), ``/impounds/{subject_id}/holds`` (list, place),
``…/holds/{hold_id}/review`` and ``DELETE …/holds/{hold_id}`` (lift)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.holds.schemas import HoldCreate, HoldLift, HoldRead, HoldReview
from csoapi.holds.service import HoldService, Subject


def subject_router(
    subject: Subject, *, prefix: str, tag: str, read_scope: str, write_scope: str
) -> APIRouter:
    """The routes; ``operation_id``s are ``<tag>_holds_*``. Mount it before the feature's
    own router, so that ``{prefix}/holds`` is not read as a record id."""
    router = APIRouter(prefix=prefix, tags=[tag])
    _reads(router, subject, tag, carrier(HoldService, read_scope))
    _place(router, subject, tag, prefix, carrier(HoldService, write_scope, idempotency="optional"))
    _changes(router, subject, tag, carrier(HoldService, write_scope))
    return router


def _one(svc: HoldService, h) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.view(h), version=h.version)


def _reads(router: APIRouter, subject: Subject, tag: str, reader: Any) -> None:
    @router.get(
        "/holds",
        operation_id=f"{tag}_holds_list",
        summary="Holds by review date; `review_overdue=true`: the active ones past review",
        description="Holds of every record of this kind by review date, keyset-paged; "
        "`active` narrows to active or lifted ones, `review_overdue=true` to the active ones a "
        "supervisor should have reviewed by now (each hold carries `review_overdue`).",
        response_model=Page[HoldRead],
        responses=error_responses(401, 403, 422),
    )
    async def list_holds(
        unit: reader,  # type: ignore[valid-type]
        review_overdue: Annotated[bool, Query()] = False,
        active: Annotated[bool | None, Query()] = None,
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
    ) -> Response:
        def work(svc: HoldService) -> Page[HoldRead]:
            rows, nxt = svc.page(
                subject, active=active, review_overdue=review_overdue, limit=limit, cursor=cursor
            )
            return Page[HoldRead](items=[svc.view(h) for h in rows], next_cursor=nxt)

        return await unit.run(work)

    @router.get(
        "/{subject_id}/holds",
        operation_id=f"{tag}_holds_of",
        summary="Every hold on the record, active and lifted, oldest first",
        description="Every hold on the record, with who placed, reviewed and lifted it and "
        "when (404 when the record does not exist).",
        response_model=list[HoldRead],
        responses=error_responses(401, 403, 404, 422),
    )
    async def holds_of(subject_id: uuid.UUID, unit: reader) -> Response:  # type: ignore[valid-type]
        return await unit.run(
            lambda svc: [svc.view(h) for h in svc.of_subject(subject, subject_id)]
        )


def _place(router: APIRouter, subject: Subject, tag: str, prefix: str, placer: Any) -> None:
    def placed(svc: HoldService, h) -> Reply:  # type: ignore[no-untyped-def]
        location = f"/api/v1{prefix}/{h.subject_id}/holds/{h.id}"
        return created(svc.view(h), location=location, version=h.version)

    @router.post(
        "/{subject_id}/holds",
        operation_id=f"{tag}_holds_place",
        summary="Place a hold (it blocks release and disposal until lifted)",
        description="A hold of `type` `investigative`, `evidence`, `administrative` or "
        "`court`, with its basis, reason and next review date (in the future: 422 "
        "`review_due_past`; not beyond the longest review period: 422 "
        "`review_due_too_far`, whose detail gives it). While any hold is active, release "
        "and disposal answer 409 with it among their `conditions`. Accepts "
        "`Idempotency-Key`.",
        status_code=201,
        response_model=HoldRead,
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def place_hold(subject_id: uuid.UUID, body: HoldCreate, unit: placer) -> Response:  # type: ignore[valid-type]
        return await unit.run(lambda svc: placed(svc, svc.place(subject, subject_id, body)))


def _changes(router: APIRouter, subject: Subject, tag: str, keeper: Any) -> None:
    @router.post(
        "/{subject_id}/holds/{hold_id}/review",
        operation_id=f"{tag}_holds_review",
        summary="Record a supervisor's review of an active hold; the next review is due",
        description="Records that a supervisor looked at the hold again and sets the next "
        "review date; a lifted hold is a 409 `hold_released`. `If-Match` is optional.",
        response_model=HoldRead,
        responses=error_responses(401, 403, 404, 409, 412, 422),
    )
    async def review_hold(
        subject_id: uuid.UUID,
        hold_id: uuid.UUID,
        body: HoldReview,
        unit: keeper,  # type: ignore[valid-type]
        if_match: IfMatchHeader = None,
    ) -> Response:
        return await unit.run(
            lambda svc: _one(svc, svc.review(subject, subject_id, hold_id, body, if_match))
        )

    @router.delete(
        "/{subject_id}/holds/{hold_id}",
        operation_id=f"{tag}_holds_lift",
        summary="Lift a hold, with the reason (the hold stays on record as released)",
        description="Lifts the hold with the reason (the body of this DELETE); a lifted hold "
        "is a 409 `hold_released`. The hold stays on record as released, by whom and when. "
        "`If-Match` is optional.",
        response_model=HoldRead,
        responses=error_responses(401, 403, 404, 409, 412, 422),
    )
    async def lift_hold(
        subject_id: uuid.UUID,
        hold_id: uuid.UUID,
        body: HoldLift,
        unit: keeper,  # type: ignore[valid-type]
        if_match: IfMatchHeader = None,
    ) -> Response:
        return await unit.run(
            lambda svc: _one(svc, svc.lift(subject, subject_id, hold_id, body, if_match))
        )
