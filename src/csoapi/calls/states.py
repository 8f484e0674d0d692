"""A call's states as data: the machine (contract §3), the stamp each state sets, and when
a transition may be said to have happened."""

from __future__ import annotations

from datetime import datetime

from csoapi.calls.models import Call
from csoapi.calls.schemas import CallStatus
from csoapi.core.clock import refuse_implausible
from csoapi.core.errors import InvalidTransition, Unprocessable

S = CallStatus
OPEN = (S.received, S.dispatched, S.en_route, S.on_scene)
# The state machine (contract §3). Dispatch happens through assignment; escalation through
# its own endpoint; the status endpoint moves the rest.
TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.received: (S.dispatched, S.cancelled, S.escalated),
    S.dispatched: (S.en_route, S.cancelled, S.escalated),
    S.en_route: (S.on_scene, S.cancelled, S.escalated),
    S.on_scene: (S.cleared, S.escalated),
    S.cleared: (),
    S.cancelled: (),
    S.escalated: (),
}
STAMP = {
    S.dispatched: "dispatched_at",
    S.en_route: "en_route_at",
    S.on_scene: "on_scene_at",
    S.cleared: "cleared_at",
    S.cancelled: "cancelled_at",
    S.escalated: "escalated_at",
}


def allowed_next(status: str) -> list[str]:
    return [s.value for s in TRANSITIONS[S(status)]]


def check_transition(status: str, target: S) -> None:
    if target not in TRANSITIONS[S(status)]:
        nxt = allowed_next(status)
        raise InvalidTransition(
            f"A {status} call cannot become {target.value}; allowed next: "
            f"{', '.join(nxt) if nxt else 'none (the call is closed)'}",
            current_status=status,
            allowed=nxt,
        )


def last_event_time(call: Call) -> datetime:
    stamps = [call.received_at] + [getattr(call, a) for a in STAMP.values()]
    return max(s for s in stamps if s is not None)


def event_time(at: datetime | None, not_before: datetime, now: datetime) -> datetime:
    """When a transition happened: not in the future, not before what came before it."""
    if at is None:
        return max(now, not_before)
    refuse_implausible(at, "at", now)
    if at < not_before:
        raise Unprocessable(
            f"'at' is before the call's previous event ({not_before.isoformat()})",
            code="time_before_previous",
            field="at",
        )
    return at
