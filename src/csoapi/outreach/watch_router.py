"""/api/v1/outreach/watch-groups — Neighborhood Watch groups and their meeting logs. The
contacts are personal data: only ``field:write`` (CSOs, sergeants) reads them, at
``/contacts``, and every read is audited."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.values import Beat
from csoapi.outreach.schemas import (
    ContactsRead,
    GroupCreate,
    GroupRead,
    GroupUpdate,
    MeetingCreate,
    MeetingRead,
)
from csoapi.outreach.watch import WatchService

router = APIRouter(prefix="/outreach/watch-groups", tags=["outreach"])
Reader = carrier(WatchService, "field:read")
Writer = carrier(WatchService, "field:write")
Recorder = carrier(WatchService, "field:write", idempotency="optional")


@router.get(
    "",
    operation_id="watch_groups_list",
    description=(
        "Neighborhood Watch groups, oldest first, with how many contacts each has and when it"
        " last met, never who the contacts are. Filters: `active`, `beat`."
    ),
    summary="Neighborhood Watch groups (no contacts), oldest first",
    response_model=Page[GroupRead],
    responses=error_responses(401, 403, 422),
)
async def list_groups(
    unit: Reader,
    active: Annotated[bool | None, Query()] = None,
    beat: Annotated[Beat | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: WatchService) -> Page[GroupRead]:
        rows, nxt = svc.page(active=active, beat=beat, limit=limit, cursor=cursor)
        return Page[GroupRead](items=svc.views(rows), next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "",
    operation_id="watch_groups_create",
    description=(
        "Registers a group: name (unique in any case: 409 `watch_group_exists`), area, beat, "
        "its liaison CSO (an active field user: 422 `unknown_staff` or `not_field_staff`) and"
        " its contacts, who are personal data and are read only at `/contacts`."
    ),
    summary="Register a Neighborhood Watch group with its liaison CSO and contacts",
    status_code=201,
    response_model=GroupRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_group(body: GroupCreate, unit: Recorder) -> Response:
    def work(svc: WatchService) -> Reply:
        g = svc.create(body)
        location = f"/api/v1/outreach/watch-groups/{g.id}"
        return created(svc.view(g), location=location, version=g.version)

    return await unit.run(work)


@router.get(
    "/{group_id}",
    operation_id="watch_groups_get",
    description=(
        "One group: area, liaison, `contacts_count` and `last_met_at`; the contacts "
        "themselves are read at `/contacts`."
    ),
    summary="Read one Neighborhood Watch group (how many contacts, not who)",
    response_model=GroupRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_group(group_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: WatchService) -> Reply:
        g = svc.read(group_id)
        return ok(svc.view(g), version=g.version)

    return await unit.run(work)


@router.patch(
    "/{group_id}",
    operation_id="watch_groups_update",
    description=(
        "Changes what is sent: `contacts` given replaces the list, and `active: false` "
        "retires the group (its meetings stay). Needs `If-Match` (428 without it, 412 when "
        "stale)."
    ),
    summary="Change a Watch group: area, liaison, contacts (a list given replaces it), active",
    response_model=GroupRead,
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_group(
    group_id: uuid.UUID, body: GroupUpdate, unit: Writer, if_match: IfMatchRequired
) -> Response:
    def work(svc: WatchService) -> Reply:
        g = svc.update(group_id, body, if_match)
        return ok(svc.view(g), version=g.version)

    return await unit.run(work)


@router.get(
    "/{group_id}/contacts",
    operation_id="watch_groups_contacts",
    description=(
        "The group's contacts (names, phones, e-mail): personal data, for CSOs and sergeants "
        "only (`field:write`; records staff get 403), and each read is its own audit row."
    ),
    summary="The group's contacts: names, phones, e-mail (CSOs and sergeants; every read audited)",
    response_model=ContactsRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_contacts(group_id: uuid.UUID, unit: Writer) -> Response:
    return await unit.run(lambda svc: svc.contacts(group_id))


@router.get(
    "/{group_id}/meetings",
    operation_id="watch_groups_meetings_list",
    description=("The group's meeting log, newest first, paged by cursor."),
    summary="The group's meeting log, newest first",
    response_model=Page[MeetingRead],
    responses=error_responses(401, 403, 404, 422),
)
async def list_meetings(
    group_id: uuid.UUID, unit: Reader, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Response:
    def work(svc: WatchService) -> Page[MeetingRead]:
        rows, nxt = svc.meeting_page(group_id, limit=limit, cursor=cursor)
        return Page[MeetingRead](
            items=[MeetingRead.model_validate(m) for m in rows], next_cursor=nxt
        )

    return await unit.run(work)


@router.post(
    "/{group_id}/meetings",
    operation_id="watch_groups_meetings_create",
    description=(
        "Logs a meeting: when it was held (not in the future: 422 `time_in_future`), "
        "attendance and a summary. A retired group logs nothing (409 `watch_group_inactive`),"
        " and a logged meeting is not changed."
    ),
    summary="Log a meeting of the group (held at, attendance, summary)",
    status_code=201,
    response_model=MeetingRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def log_meeting(group_id: uuid.UUID, body: MeetingCreate, unit: Recorder) -> Response:
    def work(svc: WatchService) -> Reply:
        m = svc.log_meeting(group_id, body)
        location = f"/api/v1/outreach/watch-groups/{group_id}/meetings"
        return created(MeetingRead.model_validate(m), location=location)

    return await unit.run(work)
