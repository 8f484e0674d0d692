from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from csoapi.core.schemas import Id, Input, Name, Output, Text, Timestamp, Words

AssignmentKind = Literal["special_event", "traffic_control", "escort", "radar_trailer"]
AssignmentStatus = Literal["planned", "active", "completed", "cancelled"]
Item = Words(100)


class AssignmentCreate(Input):
    kind: AssignmentKind
    title: Name
    starts_at: Timestamp
    ends_at: Timestamp
    location: Name
    posts: list[Item] = Field(default_factory=list, max_length=50)
    staff: list[Id] = Field(default_factory=list, max_length=100, description="User ids")
    equipment: list[Item] = Field(
        default_factory=list, max_length=50, description="Free text (kept for compatibility)"
    )
    fleet_items: list[Id] = Field(
        default_factory=list,
        max_length=50,
        description="Fleet item ids the assignment books; one on an overlapping assignment "
        "is a 409",
    )
    notes: Text | None = None
    call_id: Id | None = None

    @model_validator(mode="after")
    def _in_order(self) -> AssignmentCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if len(set(self.staff)) != len(self.staff):
            raise ValueError("staff names a person twice")
        if len(set(self.fleet_items)) != len(self.fleet_items):
            raise ValueError("fleet_items names an item twice")
        return self


class AssignmentUpdate(Input):
    title: Name | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    location: Name | None = None
    posts: list[Item] | None = Field(default=None, max_length=50)
    staff: list[Id] | None = Field(default=None, max_length=100)
    equipment: list[Item] | None = Field(default=None, max_length=50)
    fleet_items: list[Id] | None = Field(default=None, max_length=50)
    notes: Text | None = None


class StatusBody(Input):
    status: AssignmentStatus
    note: Words(500) | None = None


class ActivityRead(Output):
    at: datetime
    by: str | None
    what: str


class AssignmentRead(Output):
    id: uuid.UUID
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    posts: list[str]
    staff: list[uuid.UUID]
    equipment: list[str]
    fleet_items: list[uuid.UUID]
    notes: str | None
    status: str
    call_id: uuid.UUID | None
    activity: list[ActivityRead]
    version: int
    created_at: datetime
    updated_at: datetime
