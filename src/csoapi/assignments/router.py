"""/api/v1/assignments — special events, traffic-control posts, escorts and radar-trailer
deployments, with their staff and equipment; a CSO's schedule by day."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.assignments.schemas import (
    AssignmentCreate,
    AssignmentKind,
    AssignmentRead,
    AssignmentStatus,
    AssignmentUpdate,
    StatusBody,
)
from csoapi.assignments.service import AssignmentService
from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Day, Id

router = APIRouter(prefix="/assignments", tags=["assignments"])
Reader = carrier(AssignmentService, "field:read")
Writer = carrier(AssignmentService, "field:write")
Planner = carrier(AssignmentService, "field:write", idempotency="optional")


@router.get(
    "",
    operation_id="assignments_list",
    summary="Assignments in start order; `on` and `staff` give a person's schedule for a day",
    description="`on` is a day in the agency's time zone: the assignments that meet it.",
    response_model=Page[AssignmentRead],
    responses=error_responses(401, 403, 422),
)
async def list_assignments(
    unit: Reader,
    on: Annotated[Day | None, Query()] = None,
    staff: Annotated[Id | None, Query()] = None,
    status: Annotated[AssignmentStatus | None, Query()] = None,
    kind: Annotated[AssignmentKind | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: AssignmentService) -> Page[AssignmentRead]:
        items, nxt = svc.schedule(
            on=on, staff=staff, status=status, kind=kind, limit=limit, cursor=cursor
        )
        return Page[AssignmentRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "",
    operation_id="assignments_create",
    description="Plans an assignment (special event, traffic control, escort, radar trailer) "
    "with its times, location, posts, staff (CSOs and sergeants: 422 "
    "`not_field_staff`) and equipment. A person already on an overlapping "
    "assignment is a 409 `staff_double_booked`.",
    summary="Plan an assignment; a person already on an overlapping one is a 409",
    status_code=201,
    response_model=AssignmentRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_assignment(body: AssignmentCreate, unit: Planner) -> Response:
    def work(svc: AssignmentService) -> Reply:
        a = svc.create(body)
        read = svc.view(a)
        return created(read, location=f"/api/v1/assignments/{a.id}", version=a.version)

    return await unit.run(work)


@router.get(
    "/{assignment_id}",
    operation_id="assignments_get",
    description="One assignment with its staff, posts and equipment.",
    summary="Read one assignment",
    response_model=AssignmentRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_assignment(assignment_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: AssignmentService) -> Reply:
        read = svc.read(assignment_id)
        return ok(read, version=read.version)

    return await unit.run(work)


@router.patch(
    "/{assignment_id}",
    operation_id="assignments_update",
    description="Changes a planned or active assignment (a completed or cancelled one: 409 "
    "`assignment_closed`); overlaps are checked again. Needs `If-Match`.",
    summary="Change a planned or active assignment (times, staff, posts, equipment)",
    response_model=AssignmentRead,
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_assignment(
    assignment_id: uuid.UUID, body: AssignmentUpdate, unit: Writer, if_match: IfMatchRequired
) -> Response:
    def work(svc: AssignmentService) -> Reply:
        a = svc.update(assignment_id, body, if_match)
        return ok(svc.view(a), version=a.version)

    return await unit.run(work)


@router.post(
    "/{assignment_id}/status",
    operation_id="assignments_status",
    description="Moves an assignment `planned → active → completed`, or `planned|active → "
    "cancelled`; any other move is a 409 `invalid_transition`.",
    summary="planned → active → completed; planned or active → cancelled",
    response_model=AssignmentRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def set_status(
    assignment_id: uuid.UUID, body: StatusBody, unit: Writer, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: AssignmentService) -> Reply:
        a = svc.set_status(assignment_id, body, if_match)
        return ok(svc.view(a), version=a.version)

    return await unit.run(work)
