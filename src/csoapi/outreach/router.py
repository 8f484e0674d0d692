"""/api/v1/outreach/events — community events and meetings: recorded and changed by the
field (``field:write``), read by it and by records (``field:read``)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.outreach.schemas import (
    EventCreate,
    EventFilters,
    EventKind,
    EventRead,
    EventStatus,
    EventUpdate,
)
from csoapi.outreach.service import OutreachService

router = APIRouter(prefix="/outreach/events", tags=["outreach"])
Reader = carrier(OutreachService, "field:read")
Writer = carrier(OutreachService, "field:write")
Recorder = carrier(OutreachService, "field:write", idempotency="optional")


@router.get(
    "",
    operation_id="outreach_events_list",
    description=(
        "Community events and meetings the CSOs have held or planned, newest first, paged by "
        "cursor. Filters: `kind`, `status`, `youth_focus`, `starts_from`/`starts_to`. Every "
        "list is one audit row."
    ),
    summary="Community events and meetings, newest first",
    response_model=Page[EventRead],
    responses=error_responses(401, 403, 422),
)
async def list_events(
    unit: Reader,
    kind: Annotated[EventKind | None, Query()] = None,
    status: Annotated[EventStatus | None, Query()] = None,
    youth_focus: Annotated[bool | None, Query()] = None,
    starts_from: Annotated[Timestamp | None, Query()] = None,
    starts_to: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    f = EventFilters(
        kind=kind,
        status=status,
        youth_focus=youth_focus,
        starts_from=starts_from,
        starts_to=starts_to,
    )

    def work(svc: OutreachService) -> Page[EventRead]:
        rows, nxt = svc.page(f, limit=limit, cursor=cursor)
        return Page[EventRead](items=[svc.view(e) for e in rows], next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "",
    operation_id="outreach_events_create",
    description=(
        "Records an event: kind, title, times (`ends_at` after `starts_at`, else 422 "
        "`window_reversed`), location, partners, attendance, youth focus, materials, follow-"
        "ups and the CSO staff who ran it (active CSOs or sergeants: 422 `unknown_staff` or "
        "`not_field_staff`). `Idempotency-Key` makes a retry safe. Its event carries no "
        "partner, staff or note."
    ),
    summary="Record a community event or meeting",
    status_code=201,
    response_model=EventRead,
    responses=error_responses(401, 403, 422),
)
async def create_event(body: EventCreate, unit: Recorder) -> Response:
    def work(svc: OutreachService) -> Reply:
        e = svc.create(body)
        return created(svc.view(e), location=f"/api/v1/outreach/events/{e.id}", version=e.version)

    return await unit.run(work)


@router.get(
    "/{event_id}",
    operation_id="outreach_events_get",
    description=(
        "One event with its follow-ups and staff, and the ETag to change it. 404 for an unknown id."
    ),
    summary="Read one community event or meeting",
    response_model=EventRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_event(event_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: OutreachService) -> Reply:
        e = svc.read(event_id)
        return ok(svc.view(e), version=e.version)

    return await unit.run(work)


@router.patch(
    "/{event_id}",
    operation_id="outreach_events_update",
    description=(
        "Changes what is sent: a list given (partners, materials, follow-ups, staff) replaces"
        " the list, which is how a follow-up is marked done; `status` `cancelled` takes an "
        "event back (nothing is deleted). Needs `If-Match` (428 without it, 412 when stale)."
    ),
    summary="Change an event: attendance, follow-ups (a list given replaces the list), status",
    response_model=EventRead,
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
async def update_event(
    event_id: uuid.UUID, body: EventUpdate, unit: Writer, if_match: IfMatchRequired
) -> Response:
    def work(svc: OutreachService) -> Reply:
        e = svc.update(event_id, body, if_match)
        return ok(svc.view(e), version=e.version)

    return await unit.run(work)
