"""/api/v1/calls — calls for service."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.calls.eido import EidoDocument, to_eido
from csoapi.calls.repository import CallFilters
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
    Timeline,
    summary_from,
)
from csoapi.calls.service import CallService
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.context import Gated, provide
from csoapi.core.errors import error_responses
from csoapi.core.idempotency import IdempotencyDep, IdempotencyKey
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.responses import respond
from csoapi.core.schemas import Timestamp
from csoapi.core.security import Scoped

router = APIRouter(prefix="/calls", tags=["calls"])
Reader = Scoped("calls:read")
Writer = Scoped("calls:write")
Intake = Gated("calls:write")  # the same scopes, for the routes that run as one unit
Polling = Gated("calls:read")
Dispatcher = Scoped("calls:dispatch")
E = (401, 403, 422)


CallServiceDep = Annotated[CallService, provide(CallService)]


def _full(call, status_code: int = 200, **kw) -> Response:  # type: ignore[no-untyped-def]
    return respond(
        summary_from(call, CallRead), status_code=status_code, version=call.version, **kw
    )


@router.post(
    "",
    operation_id="calls_create",
    summary="Take a call for service",
    status_code=201,
    response_model=CallRead,
    responses=error_responses(*E, 409),
)
async def create_call(body: CallCreate, gate: Intake, key: IdempotencyKey) -> Response:
    # A hot path (a CAD bridge replaying a backlog): one unit of work, see run_unit.
    def work(svc: CallService) -> Response:
        idem = key.begin(svc.session, svc.ctx)
        call = svc.create(body)
        return _full(call, 201, location=f"/api/v1/calls/{call.id}", idem=idem)

    return await gate.run(CallService, work)


@router.get(
    "",
    operation_id="calls_list",
    summary="List calls, newest first",
    response_model=Page[CallSummary],
    responses=error_responses(*E),
)
async def list_calls(
    gate: Polling,
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
    # A hot path (CAD bridges and dispatch screens poll it): one unit of work, see run_unit.
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

    return await gate.run(CallService, work)


@router.get(
    "/{call_id}",
    operation_id="calls_get",
    summary="Read a call (with caller details; audited). `?format=eido` for NENA EIDO",
    response_model=CallRead | EidoDocument,
    response_description="The call; with `?format=eido`, its NENA EIDO document",
    responses=error_responses(*E, 404),
)
def get_call(
    call_id: uuid.UUID,
    _: Reader,
    svc: CallServiceDep,
    format: Annotated[Literal["json", "eido"], Query()] = "json",  # noqa: A002
) -> Response:
    call = svc.read(call_id)
    if format == "eido":
        return eido_response(svc, call)
    return _full(call)


@router.get(
    "/{call_id}/eido",
    operation_id="calls_eido",
    summary="The call as a NENA EIDO incident (JSON)",
    response_model=EidoDocument,
    responses=error_responses(*E, 404),
)
def get_call_eido(call_id: uuid.UUID, _: Reader, svc: CallServiceDep) -> Response:
    return eido_response(svc, svc.read(call_id))


def eido_response(svc: CallService, call) -> Response:  # type: ignore[no-untyped-def]
    import json

    body = to_eido(svc.session, call, svc.ctx.settings)
    return Response(json.dumps(body), media_type="application/json")


@router.patch(
    "/{call_id}",
    operation_id="calls_update",
    summary="Correct a call's type, priority, location, caller or description (If-Match)",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412, 428),
)
def update_call(
    call_id: uuid.UUID,
    body: CallUpdate,
    _: Writer,
    svc: CallServiceDep,
    if_match: IfMatchRequired,
) -> Response:
    return _full(svc.update(call_id, body, if_match))


@router.post(
    "/{call_id}/assign",
    operation_id="calls_assign",
    summary="Assign (or, with If-Match, reassign) a call to a CSO or sergeant",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412),
)
def assign_call(
    call_id: uuid.UUID,
    body: AssignBody,
    _: Dispatcher,
    svc: CallServiceDep,
    if_match: IfMatchHeader = None,
) -> Response:
    return _full(svc.assign(call_id, body, if_match))


@router.post(
    "/{call_id}/status",
    operation_id="calls_status",
    summary="Move a call: en_route, on_scene, cleared (with disposition), cancelled",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412),
)
def change_call_status(
    call_id: uuid.UUID,
    body: StatusBody,
    _: Writer,
    svc: CallServiceDep,
    if_match: IfMatchHeader = None,
) -> Response:
    return _full(svc.change_status(call_id, body, if_match))


@router.post(
    "/{call_id}/escalate",
    operation_id="calls_escalate",
    summary="Hand a call off to sworn officers, with the reason",
    response_model=CallRead,
    responses=error_responses(*E, 404, 409, 412),
)
def escalate_call(
    call_id: uuid.UUID,
    body: EscalateBody,
    _: Writer,
    svc: CallServiceDep,
    if_match: IfMatchHeader = None,
) -> Response:
    return _full(svc.escalate(call_id, body, if_match))


@router.post(
    "/{call_id}/notes",
    operation_id="calls_add_note",
    summary="Add a note to a call",
    status_code=201,
    response_model=NoteRead,
    responses=error_responses(*E, 404),
)
def add_call_note(
    call_id: uuid.UUID, body: NoteBody, _: Writer, svc: CallServiceDep, idem: IdempotencyDep
) -> Response:
    note = svc.add_note(call_id, body)
    read = NoteRead(
        id=note.id or 0,
        call_id=note.call_id,
        at=note.at,
        author_id=note.actor_id,
        author=note.actor_name,
        text=note.text or "",
    )
    return respond(read, status_code=201, idem=idem)


@router.get(
    "/{call_id}/timeline",
    operation_id="calls_timeline",
    summary="Everything that happened on a call, in time order",
    response_model=Timeline,
    responses=error_responses(*E, 404),
)
def call_timeline(call_id: uuid.UUID, _: Reader, svc: CallServiceDep) -> Timeline:
    return Timeline(call_id=call_id, items=svc.timeline(call_id))
