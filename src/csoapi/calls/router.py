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
    description="Records a call for service, `received`, with a generated CFS `number`. A CAD "
    "sends its incident number as `external_id`: a second call with the same "
    "`source` and `external_id` is a 409 `duplicate_external_id` whose "
    "`existing_id` names the first, so a CAD can resend safely (or use "
    "`Idempotency-Key`). `call_type` must be an active code of `/codes/call-types` "
    "(422 `unknown_call_type`); `received_at` may not be in the future. Emits "
    "`call.created`.",
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
    description="Keyset-paged, newest first, filtered by `status`, `call_type`, `priority`, "
    "`assigned_to` (a user id or `me`), `beat` and the received window. Every "
    "listing is one audit row. The dispatch queue is `?status=received`.",
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
    description="The whole call, caller name and phone included; every read is audited. The "
    "`ETag` is what `PATCH`, `/assign` (reassigning) and the state-changing POSTs "
    "take as `If-Match`.",
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
    description="The call as a NENA EIDO (Emergency Incident Data Object) incident, for a CAD "
    "or a neighbouring agency that reads EIDO; audited as a read.",
    summary="The call as a NENA EIDO incident (JSON)",
    response_model=EidoDocument,
    responses=error_responses(*E, 404),
)
async def get_call_eido(call_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: ok(svc.eido(svc.read(call_id))))


@router.patch(
    "/{call_id}",
    operation_id="calls_update",
    description="Corrects the call's descriptive fields; status, assignment and disposition "
    "move only through their own POSTs. Needs `If-Match` (428 without, 412 when "
    "stale). A closed call is not edited (409 `call_closed`).",
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
    description="`assigned_to` is a user id or a badge number of an active CSO or sergeant (422 "
    "`invalid_assignee`; a badge held twice: 422 `ambiguous_badge`; `GET /staff` "
    "lists whom to choose). Assigning a `received` call moves it to `dispatched`. "
    "Reassigning needs `If-Match` with the current ETag (409 `already_assigned` "
    "without); a closed call cannot be assigned (409 `call_closed`). Emits "
    "`call.status_changed` when the status moves.",
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
    description='`{"status", "at", "disposition"}`: the state machine is `received → dispatched '
    "→ en_route → on_scene → cleared`, and `received|dispatched|en_route → "
    "cancelled`; any other move is a 409 `invalid_transition` naming the states "
    "allowed next. Clearing needs a `disposition` (422 `disposition_required`), "
    "which no other move takes (422 `disposition_not_allowed`). `at` may not "
    "precede the call's previous event (422 `time_before_previous`) or lie in the "
    "future. A CSO moves only calls assigned to them (403 `not_assigned_to_you`); "
    "sergeants and the CAD move any. Emits `call.status_changed`.",
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
    description="Moves an open call to `escalated` with the reason: sworn officers take it "
    "over. A CSO escalates only calls assigned to them (403 `not_assigned_to_you`). "
    "Emits `call.escalated`, which CADs subscribe to.",
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
    description="Appends a time-stamped note to the call (notes are never edited or removed); "
    "it appears in the timeline.",
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
