"""What a new call is: the row an intake body describes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from csoapi.calls.models import Call
from csoapi.calls.schemas import CallCreate, CallSource
from csoapi.calls.states import S
from csoapi.codes.models import CallType
from csoapi.core.models import new_row
from csoapi.core.scopes import Role

if TYPE_CHECKING:
    from csoapi.core.security import Principal


def new_call(
    data: CallCreate, call_type: CallType, received_at: datetime, actor: Principal
) -> Call:
    """The call ``data`` describes, received at ``received_at`` from ``actor``; its number
    is left empty (the intake reserves it last). A call an officer reports from the field
    is an on-view call: theirs, and on scene from the start."""
    call = new_row(
        Call,
        number="",
        source=data.source.value,
        external_id=data.external_id,
        call_type=call_type.code,
        priority=data.priority or call_type.default_priority,
        address=data.location.address,
        lat=data.location.lat,
        lon=data.location.lon,
        beat=data.location.beat,
        caller_name=data.caller.name if data.caller else None,
        caller_phone=data.caller.phone if data.caller else None,
        description=data.description,
        received_at=received_at,
        status=S.received.value,
        created_by=f"{actor.kind}:{actor.name}"[:80],
    )
    if (
        data.source is CallSource.field
        and actor.is_user
        and actor.role in (Role.cso, Role.sergeant)
    ):
        call.assigned_to = actor.id
        call.status = S.on_scene.value
        call.dispatched_at = call.en_route_at = call.on_scene_at = received_at
    return call
