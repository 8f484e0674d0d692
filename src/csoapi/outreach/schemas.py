from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from csoapi.core.schemas import Day, Id, Input, Name, Output, ShortText, Text, Timestamp, Words
from csoapi.core.values import Beat, Email, Phone

EventKind = Literal[
    "community_meeting", "youth_event", "school_visit", "presentation", "resource_fair", "other"
]
EventStatus = Literal["planned", "held", "cancelled"]
Item = Words(200)
Attendance = Annotated[int, Field(ge=0, le=1_000_000)]


class FollowUp(Input):
    task: ShortText
    due_on: Day | None = None
    done: StrictBool = False


def _staff_once(staff: list[uuid.UUID] | None) -> None:
    if staff is not None and len(set(staff)) != len(staff):
        raise ValueError("staff names a person twice")


class EventCreate(Input):
    kind: EventKind
    title: Name
    starts_at: Timestamp
    ends_at: Timestamp | None = None
    location: Name
    partners: list[Item] = Field(default_factory=list, max_length=50)
    attendance: Attendance | None = Field(default=None, description="People who came")
    youth_focus: StrictBool = False
    materials: list[Item] = Field(default_factory=list, max_length=50)
    follow_ups: list[FollowUp] = Field(default_factory=list, max_length=50)
    staff: list[Id] = Field(default_factory=list, max_length=50, description="CSO user ids")
    notes: Text | None = None
    status: EventStatus = "planned"

    @model_validator(mode="after")
    def _in_order(self) -> EventCreate:
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        _staff_once(self.staff)
        return self


class EventUpdate(Input):
    """Every field optional; a list given replaces the list (follow-ups are marked done so)."""

    kind: EventKind | None = None
    title: Name | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    location: Name | None = None
    partners: list[Item] | None = Field(default=None, max_length=50)
    attendance: Attendance | None = None
    youth_focus: StrictBool | None = None
    materials: list[Item] | None = Field(default=None, max_length=50)
    follow_ups: list[FollowUp] | None = Field(default=None, max_length=50)
    staff: list[Id] | None = Field(default=None, max_length=50)
    notes: Text | None = None
    status: EventStatus | None = None

    @model_validator(mode="after")
    def _once(self) -> EventUpdate:
        _staff_once(self.staff)
        return self


class FollowUpRead(Output):
    task: str
    due_on: date | None
    done: bool


class EventRead(Output):
    id: uuid.UUID
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    location: str
    partners: list[str]
    attendance: int | None
    youth_focus: bool
    materials: list[str]
    follow_ups: list[FollowUpRead]
    staff: list[uuid.UUID]
    notes: str | None
    status: str
    version: int
    created_at: datetime
    updated_at: datetime


class Contact(Input):
    name: Name
    phone: Phone | None = None
    email: Email | None = None


class GroupCreate(Input):
    name: Name
    area: ShortText = Field(description="The streets or blocks the group watches")
    beat: Beat | None = None
    liaison_id: Id | None = Field(default=None, description="The liaison CSO (a user id)")
    contacts: list[Contact] = Field(default_factory=list, max_length=50)


class GroupUpdate(Input):
    name: Name | None = None
    area: ShortText | None = None
    beat: Beat | None = None
    liaison_id: Id | None = None
    active: StrictBool | None = None
    contacts: list[Contact] | None = Field(default=None, max_length=50)


class GroupRead(Output):
    """A Watch group as anyone in the field sees it: how many contacts, never who."""

    id: uuid.UUID
    name: str
    area: str
    beat: str | None
    liaison_id: uuid.UUID | None
    active: bool
    contacts_count: int
    last_met_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ContactRead(Output):
    name: str
    phone: str | None
    email: str | None


class ContactsRead(Output):
    group_id: uuid.UUID
    name: str
    contacts: list[ContactRead]


class MeetingCreate(Input):
    held_at: Timestamp
    location: Name | None = None
    attendance: Attendance | None = None
    summary: Text


class MeetingRead(Output):
    id: uuid.UUID
    group_id: uuid.UUID
    held_at: datetime
    location: str | None
    attendance: int | None
    summary: str
    recorded_by: uuid.UUID | None
    recorded_at: datetime


@dataclass(frozen=True)
class EventFilters:
    kind: str | None = None
    status: str | None = None
    youth_focus: bool | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
