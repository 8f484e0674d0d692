from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from csoapi.codes.schemas import Priority
from csoapi.core.schemas import (
    AsString,
    Code,
    Id,
    Input,
    Name,
    Output,
    ShortText,
    Text,
    Timestamp,
    Token,
    Words,
)
from csoapi.core.values import Beat, Phone


class CallSource(StrEnum):
    cad = "cad"
    phone = "phone"
    field = "field"
    online = "online"


class CallStatus(StrEnum):
    received = "received"
    dispatched = "dispatched"
    en_route = "en_route"
    on_scene = "on_scene"
    cleared = "cleared"
    cancelled = "cancelled"
    escalated = "escalated"


ExternalId = Token(r"^[\x21-\x7e]+$", max_length=64)
# Digits and the usual separators; inner spaces allowed, none at either end.


class Location(Input):
    address: Name
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    beat: Beat | None = None


class Caller(Input):
    name: Name | None = None
    phone: Phone | None = None


class CallCreate(Input):
    source: Annotated[CallSource, AsString]
    external_id: ExternalId | None = Field(
        default=None, description="The CAD's incident number; unique per source"
    )
    call_type: Code
    priority: Priority | None = Field(
        default=None, description="Defaults to the call type's priority"
    )
    location: Location
    caller: Caller | None = None
    description: Text | None = None
    received_at: Timestamp | None = Field(
        default=None, description="Defaults to now; not in the future"
    )


class CallUpdate(Input):
    call_type: Code | None = None
    priority: Priority | None = None
    location: Location | None = None
    caller: Caller | None = None
    description: Text | None = None


class AssignBody(Input):
    assigned_to: Id | Words(32) = Field(  # type: ignore[valid-type]
        union_mode="left_to_right",
        description="The assignee's user id, or their badge number (GET /api/v1/staff)",
    )


class StatusBody(Input):
    status: Literal["en_route", "on_scene", "cleared", "cancelled"]
    at: Timestamp | None = Field(default=None, description="When it happened; defaults to now")
    disposition: Code | None = Field(
        default=None, description="Required to clear; optional to cancel"
    )
    reason: ShortText | None = None


class EscalateBody(Input):
    reason: ShortText
    at: Timestamp | None = None


class NoteBody(Input):
    text: Words(4000)


class LocationRead(Output):
    address: str
    lat: float | None
    lon: float | None
    beat: str | None


class CallerRead(Output):
    name: str | None
    phone: str | None


class CallSummary(Output):
    """A call as lists show it: no caller details."""

    id: uuid.UUID
    number: str
    source: CallSource
    external_id: str | None
    call_type: str
    priority: int
    location: LocationRead
    received_at: datetime
    assigned_to: uuid.UUID | None
    status: CallStatus
    disposition: str | None
    version: int


class CallRead(CallSummary):
    caller: CallerRead | None
    description: str | None
    dispatched_at: datetime | None
    en_route_at: datetime | None
    on_scene_at: datetime | None
    cleared_at: datetime | None
    cancelled_at: datetime | None
    escalated_at: datetime | None
    escalation_reason: str | None
    created_at: datetime
    updated_at: datetime


class NoteRead(Output):
    id: int
    call_id: uuid.UUID
    at: datetime
    author_id: str | None
    author: str | None
    text: str


def summary_from(call: Any, cls: type[CallSummary] = CallSummary) -> CallSummary:
    data = {name: getattr(call, name) for name in cls.model_fields if hasattr(call, name)}
    data["location"] = LocationRead(
        address=call.address, lat=call.lat, lon=call.lon, beat=call.beat
    )
    if "caller" in cls.model_fields:
        data["caller"] = (
            CallerRead(name=call.caller_name, phone=call.caller_phone)
            if call.caller_name or call.caller_phone
            else None
        )
    return cls.model_validate(data)
