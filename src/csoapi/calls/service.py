"""Calls for service: intake, dispatch, the status machine, escalation, notes, timeline."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlmodel import Session

from csoapi.calls.eido import to_eido
from csoapi.calls.intake import new_call
from csoapi.calls.models import Call, CallActivity
from csoapi.calls.repository import CallFilters, CallRepository
from csoapi.calls.schemas import (
    AssignBody,
    CallCreate,
    CallUpdate,
    EscalateBody,
    NoteBody,
    StatusBody,
)
from csoapi.calls.states import (
    OPEN,
    STAMP,
    TRANSITIONS,
    S,
    check_transition,
    event_time,
    last_event_time,
)
from csoapi.codes.service import CALL_TYPES, DISPOSITIONS, require_active
from csoapi.core import audit, events
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Change, Changes, Entity, Event
from csoapi.core.numbering import CALL_NUMBER, yearly_number
from csoapi.core.scopes import Role
from csoapi.users.models import User
from csoapi.users.repository import UserRepository

__all__ = ["TRANSITIONS", "CallService"]
READ_SCOPE = "calls:read"


def payload(call: Call) -> dict[str, Any]:
    """What every call event carries (a holder of calls:read may see all of it)."""
    return {
        "id": str(call.id),
        "number": call.number,
        "call_type": call.call_type,
        "priority": call.priority,
        "status": call.status,
        "beat": call.beat,
        "assigned_to": str(call.assigned_to) if call.assigned_to else None,
        "disposition": call.disposition,
        "version": call.version,
    }


CALL: Entity[Call] = Entity("call", READ_SCOPE, payload)


class CallService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = CallRepository(session)
        self.changes = Changes(
            session, ctx, CALL, lock=lambda key: self.get(key, for_update=True), log=self._log
        )

    # -- reads ----------------------------------------------------------------------------
    def get(self, call_id: uuid.UUID, *, for_update: bool = False) -> Call:
        return self.repo.get_or_404(call_id, for_update=for_update)

    def read(self, call_id: uuid.UUID) -> Call:
        """A full read (with caller details): audited."""
        call = self.get(call_id)
        audit.record(self.session, self.ctx, "call.read", entity_type="call", entity_id=call.id)
        return call

    def page(self, filters: CallFilters, *, limit: int, cursor: str | None):
        """A page of calls, audited as one list read. A hot route (CAD bridges and dispatch
        screens poll it): the audit row rides in the page's own statement (audit.listing)."""
        audited = audit.listing(
            self.ctx,
            "call.list",
            entity_type="call",
            filters=asdict(filters) | {"limit": limit, "cursor": cursor},
            limit=limit,
        )
        return self.repo.page(filters, limit=limit, cursor=cursor, fetch=audited)

    # -- intake ---------------------------------------------------------------------------
    def create(self, data: CallCreate) -> Call:
        now = utcnow()
        call_type = require_active(self.session, CALL_TYPES, data.call_type, "call_type")
        self._refuse_duplicate(data.source.value, data.external_id)
        received_at = refuse_implausible(data.received_at or now, "received_at", now)
        call = new_call(data, call_type, received_at, self.ctx.actor)
        # Reserved last: the counter row stays locked until commit and every other intake
        # waits for it, so the work that can come first comes first, and the rows that need
        # the number (the call, its first activity line, audit row and event) go to the
        # database together, in one round trip.
        call.number = self._number(received_at)
        created = self._activity(
            call, "created", to_status=call.status, at=received_at, assigned_to=call.assigned_to
        )
        self.repo.insert_new(
            call,
            created,
            then=lambda: self._created(call),
            on_conflict=lambda: self._refuse_duplicate(data.source.value, data.external_id),
        )
        return call

    def _created(self, call: Call) -> None:
        """The new call's audit row and event (sent with it: see ``create``)."""
        audit.record(self.session, self.ctx, "call.create", entity_type="call", entity_id=call.id)
        events.append(
            self.session,
            "call.created",
            entity_type="call",
            entity_id=call.id,
            read_scope=READ_SCOPE,
            payload=payload(call)
            | {
                "received_at": call.received_at.isoformat(),
                "source": call.source,
                "external_id": call.external_id,
            },
        )

    # -- changes --------------------------------------------------------------------------
    def update(self, call_id: uuid.UUID, data: CallUpdate, if_match: str | None) -> Call:
        change = self.changes.begin(call_id, if_match, required=True)
        call = change.row
        if S(call.status) not in OPEN:
            raise Conflict(
                f"The call is {call.status}; closed calls are not edited", code="call_closed"
            )
        changes = data.model_dump(exclude_unset=True)
        fields: list[str] = []
        if changes.get("call_type") is not None:
            call.call_type = require_active(
                self.session, CALL_TYPES, data.call_type or "", "call_type"
            ).code
            fields.append("call_type")
        if changes.get("priority") is not None:
            call.priority = changes["priority"]
            fields.append("priority")
        if data.location is not None:
            call.address, call.lat, call.lon, call.beat = (
                data.location.address,
                data.location.lat,
                data.location.lon,
                data.location.beat,
            )
            fields.append("location")
        if "caller" in changes:
            call.caller_name = data.caller.name if data.caller else None
            call.caller_phone = data.caller.phone if data.caller else None
            fields.append("caller")
        if "description" in changes:
            call.description = data.description
            fields.append("description")
        return change.done(
            "call.update",
            detail={"fields": fields},
            activity={"kind": "updated", "detail": {"fields": fields}},
            events=[Event("call.updated", {"fields": fields})],
        )

    def _assignee(self, who: uuid.UUID | str) -> User | None:
        """The user ``assigned_to`` names: by id, or by badge number (one active holder)."""
        users = UserRepository(self.session)
        if isinstance(who, uuid.UUID):
            return users.get(who)
        holders = users.by_badge(who)
        if len(holders) > 1:
            raise Unprocessable(
                f"Badge {who} is held by more than one active user; assign by id",
                code="ambiguous_badge",
                field="assigned_to",
            )
        return holders[0] if holders else None

    def assign(self, call_id: uuid.UUID, data: AssignBody, if_match: str | None) -> Call:
        change = self.changes.begin(call_id, if_match)
        call = change.row
        if S(call.status) not in OPEN:
            raise Conflict(f"The call is {call.status}; it cannot be assigned", code="call_closed")
        if call.assigned_to is not None and if_match is None:
            raise Conflict(
                "The call is already assigned; send If-Match with its current ETag to reassign",
                code="already_assigned",
                assigned_to=str(call.assigned_to),
            )
        unit = self._assignee(data.assigned_to)
        if unit is None or not unit.active or unit.role not in (Role.cso, Role.sergeant):
            raise Unprocessable(
                "assigned_to must be an active CSO or sergeant",
                code="invalid_assignee",
                field="assigned_to",
            )
        now = utcnow()
        previous = str(call.assigned_to) if call.assigned_to else None
        call.assigned_to = unit.id
        from_status = call.status
        if call.status == S.received:
            call.status = S.dispatched.value
            call.dispatched_at = max(now, last_event_time(call))
        events = [
            Event("call.assigned", {"assigned_to": str(unit.id), "previous_assignee": previous})
        ]
        if from_status != call.status:
            moved = {"from_status": from_status, "to_status": call.status}
            at = call.dispatched_at.isoformat()  # type: ignore[union-attr]
            events.append(Event("call.status_changed", moved | {"at": at}))
        return change.done(
            "call.assign",
            detail={"assigned_to": str(unit.id)},
            activity={
                "kind": "assigned",
                "from_status": from_status,
                "to_status": call.status,
                "assigned_to": unit.id,
                "detail": {"previous": previous},
            },
            events=events,
        )

    def change_status(self, call_id: uuid.UUID, data: StatusBody, if_match: str | None) -> Call:
        change = self.changes.begin(call_id, if_match)
        call = change.row
        self._must_be_mine_or_supervised(call)
        target = S(data.status)
        check_transition(call.status, target)
        disposition = None
        if target is S.cleared and data.disposition is None:
            raise Unprocessable(
                "Clearing a call needs a disposition",
                code="disposition_required",
                field="disposition",
            )
        if data.disposition is not None:
            if target not in (S.cleared, S.cancelled):
                raise Unprocessable(
                    "A disposition is given only when clearing or cancelling",
                    code="disposition_not_allowed",
                    field="disposition",
                )
            disposition = require_active(
                self.session, DISPOSITIONS, data.disposition, "disposition"
            ).code
        at = event_time(data.at, last_event_time(call), utcnow())
        return self._transition(change, target, at, disposition=disposition, reason=data.reason)

    def escalate(self, call_id: uuid.UUID, data: EscalateBody, if_match: str | None) -> Call:
        change = self.changes.begin(call_id, if_match)
        call = change.row
        self._must_be_mine_or_supervised(call)
        check_transition(call.status, S.escalated)
        at = event_time(data.at, last_event_time(call), utcnow())
        call.escalation_reason = data.reason
        escalated = Event("call.escalated", {"at": at.isoformat()})
        return self._transition(change, S.escalated, at, reason=data.reason, also=[escalated])

    def eido(self, call: Call) -> dict[str, Any]:
        """The call as a NENA EIDO incident."""
        return to_eido(self.session, call, self.ctx.settings)

    def add_note(self, call_id: uuid.UUID, data: NoteBody) -> CallActivity:
        change = self.changes.begin(call_id)  # the call's lock: its log stays in order
        note = self._log(change.row, "note", text=data.text)
        change.done("call.note", stamp=False)  # a note leaves the call as it was
        return note

    def activity(self, call_id: uuid.UUID) -> list[CallActivity]:
        """The call's activity lines, oldest first (the timeline reads them)."""
        return list(self.repo.activity(call_id))

    # -- helpers --------------------------------------------------------------------------
    def _transition(
        self,
        change: Change[Call],
        target: S,
        at: datetime,
        *,
        disposition: str | None = None,
        reason: str | None = None,
        also: list[Event] | None = None,
    ) -> Call:
        """Move the call to ``target`` (checked against TRANSITIONS by the caller) at
        ``at``: its stamp, its log line, audit ``call.<target>`` and ``call.status_changed``
        (then the events in ``also``)."""
        call = change.row
        from_status = call.status
        call.status = target.value
        setattr(call, STAMP[target], at)
        if disposition is not None:
            call.disposition = disposition
        moved = {"from_status": from_status, "to_status": target.value}
        noted = {k: v for k, v in {"disposition": disposition, "reason": reason}.items() if v}
        return change.done(
            f"call.{target.value}",
            detail={"from": from_status},
            activity={"kind": "status_changed", **moved, "at": at, "detail": noted},
            events=[Event("call.status_changed", moved | {"at": at.isoformat()}), *(also or [])],
        )

    def _must_be_mine_or_supervised(self, call: Call) -> None:
        actor = self.ctx.actor
        if actor.is_user and actor.role == Role.cso and call.assigned_to != actor.id:
            raise Forbidden(
                "Only the assigned CSO, a sergeant or the CAD may change this call",
                code="not_assigned_to_you",
            )

    def _refuse_duplicate(self, source: str, external_id: str | None) -> None:
        if external_id is None:
            return
        existing = self.repo.by_external_id(source, external_id)
        if existing is not None:
            raise Conflict(
                f"A call from {source} with external_id '{external_id}' exists",
                code="duplicate_external_id",
                existing_id=str(existing.id),
                existing_number=existing.number,
            )

    def _number(self, received_at: datetime) -> str:
        settings = self.ctx.settings
        year = received_at.astimezone(settings.tz).year
        return yearly_number(self.session, CALL_NUMBER, settings.call_number_prefix, year)

    def _log(
        self, call: Call, kind: str, *, at: datetime | None = None, **fields: Any
    ) -> CallActivity:
        return self.repo.log(self._activity(call, kind, at=at, **fields))

    def _activity(
        self, call: Call, kind: str, *, at: datetime | None = None, **fields: Any
    ) -> CallActivity:
        actor = self.ctx.principal
        return CallActivity(
            call_id=call.id,
            kind=kind,
            at=at or utcnow(),
            actor_id=str(actor.id) if actor else None,
            actor_name=actor.name if actor else None,
            **fields,
        )
