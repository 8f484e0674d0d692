"""/api/v1/calls — calls for service."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.calls.eido import EidoDocument
from csoapi.calls.schemas import (
    AssignBody,
    CallCreate,
    CallRead,
    CallStatus,
    CallSummary,
    CallUpdate,
    EscalateBody,
    NoteBody,
    NoteRead,
    StatusBody,
    summary_from,
)
from csoapi.calls.service import CallFilters, CallService
from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp

router = APIRouter(prefix="/calls", tags=["calls"])
Reader = carrier(CallService, "calls:read")
Writer = carrier(CallService, "calls:write")
Intake = carrier(CallService, "calls:write", idempotency="optional")
Notes = carrier(CallService, "calls:write", idempotency="optional")
Dispatcher = carrier(CallService, "calls:dispatch")
E = (401, 403, 422)


def _full(call) -> Reply:  # type: ignore[no-untyped-def]
    return ok(summary_from(call, CallRead), version=call.version)


@router.post(
    "",
    operation_id="calls_create",
    summary="Take a call for service",
    status_code=201,
    response_model=CallRead,
    responses=error_responses(*E, 409),
)
async def create_call(body: CallCreate, unit: Intake) -> Response:
    def work(svc: CallService) -> Reply:
        call = svc.create(body)
        return created(
            summary_from(call, CallRead), location=f"/api/v1/calls/{call.id}", version=call.version
        )

    return await unit.run(work)


@router.get(
    "",
    operation_id="calls_list",
    summary="List calls, newest first",
    response_model=Page[CallSummary],
    responses=error_responses(*E),
)
async def list_calls(
    unit: Reader,
    status: Annotated[CallStatus | None, Query()] = None,
    call_type: Annotated[str | None, Query(max_length=32)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    assigned_to: Annotated[
        uuid.UUID | Literal["me"] | None, Query(description="A user id, or `me`")
    ] = None,
    beat: Annotated[str | None, Query(max_length=16)] = None,
    received_from: Annotated[Timestamp | None, Query()] = None,
    received_to: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[CallSummary]:
    def work(svc: CallService) -> Page[CallSummary]:
        filters = CallFilters(
            status=status.value if status else None,
            call_type=call_type,
            priority=priority,
            assigned_to=svc.ctx.actor.id if assigned_to == "me" else assigned_to,  # type: ignore[arg-type]
            beat=beat,
            received_from=received_from,
            received_to=received_to,
        )
        rows, nxt = svc.page(filters, limit=limit, cursor=cursor)
        return Page[CallSummary](items=[summary_from(c) for c in rows], next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{call_id}",
    operation_id="calls_get",
    summary="Read a call (with caller details; audited). `?format=eido` for NENA EIDO",
    response_model=CallRead | EidoDocument,
    response_description="The call; with `?format=eido`, its NENA EIDO document",
    responses=error_responses(*E, 404),
)
async def get_call(
    call_id: uuid.UUID,
    unit: Reader,
    format: Annotated[Literal["json", "eido"], Query()] = "json",  # noqa: A002
) -> Response:
    def work(svc: CallService) -> Reply:
        call = svc.read(call_id)
        return ok(svc.eido(call)) if format == "eido" else _full(call)

    return await unit.run(work)


@router.get(
    "/{call_id}/eido",
    operation_id="calls_eido",
    summary="The call as a NENA EIDO incident (JSON)",
    response_model=EidoDocument,
    responses=error_responses(*E, 404),
)
async def get_call_eido(call_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: ok(svc.eido(svc.read(call_id))))


@router.patch(
    "/{call_id}",
    operation_id="calls_update",
    summary="Correct a call's type, priority, location, caller or description (If-Match)",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412, 428),
)
async def update_call(
    call_id: uuid.UUID, body: CallUpdate, unit: Writer, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _full(svc.update(call_id, body, if_match)))


@router.post(
    "/{call_id}/assign",
    operation_id="calls_assign",
    summary="Assign (or, with If-Match, reassign) a call to a CSO or sergeant",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def assign_call(
    call_id: uuid.UUID, body: AssignBody, unit: Dispatcher, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _full(svc.assign(call_id, body, if_match)))


@router.post(
    "/{call_id}/status",
    operation_id="calls_status",
    summary="Move a call: en_route, on_scene, cleared (with disposition), cancelled",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def change_call_status(
    call_id: uuid.UUID, body: StatusBody, unit: Writer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _full(svc.change_status(call_id, body, if_match)))


@router.post(
    "/{call_id}/escalate",
    operation_id="calls_escalate",
    summary="Hand a call off to sworn officers, with the reason",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412),
)
async def escalate_call(
    call_id: uuid.UUID, body: EscalateBody, unit: Writer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _full(svc.escalate(call_id, body, if_match)))


@router.post(
    "/{call_id}/notes",
    operation_id="calls_add_note",
    summary="Add a note to a call",
    status_code=201,
    response_model=NoteRead,
    responses=error_responses(*E, 404),
)
async def add_call_note(call_id: uuid.UUID, body: NoteBody, unit: Notes) -> Response:
    def work(svc: CallService) -> Reply:
        note = svc.add_note(call_id, body)
        read = NoteRead(
            id=note.id or 0,
            call_id=note.call_id,
            at=note.at,
            author_id=note.actor_id,
            author=note.actor_name,
            text=note.text or "",
        )
        return Reply(read, 201)

    return await unit.run(work)
