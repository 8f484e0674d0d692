"""Assignments: special events, traffic-control posts, escorts, radar-trailer deployments,
each with its window, posts, equipment and the staff on it (one row per person, so that
"who else has this person then" is one indexed query), and the fleet items it books (one
row per item, the same way)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, id_field, utc_column


class Assignment(Versioned, table=True):
    __tablename__ = "assignment"
    __table_args__ = (
        sa.Index("ix_assignment_starts_at_id", "starts_at", "id"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: uuid.UUID = id_field()
    kind: str = Field(max_length=32)  # special_event | traffic_control | escort | radar_trailer
    title: str = Field(max_length=200)
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    location: str = Field(max_length=200)
    posts: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    equipment: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    status: str = Field(default="planned", max_length=16)
    call_id: uuid.UUID | None = Field(default=None, foreign_key="call.id", index=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    activity: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)


class AssignmentStaff(SQLModel, table=True):
    __tablename__ = "assignment_staff"
    __table_args__ = (sa.Index("ix_assignment_staff_user_id_starts_at", "user_id", "starts_at"),)

    assignment_id: uuid.UUID = Field(foreign_key="assignment.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True)
    # The assignment's window and whether it still books the person, kept here too.
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    booked: bool = Field(default=True)


class AssignmentFleetItem(SQLModel, table=True):
    """A fleet item (a radar trailer, a radio) an assignment books, kept like its staff."""

    __tablename__ = "assignment_fleet_item"
    __table_args__ = (
        sa.Index("ix_assignment_fleet_item_item_id_starts_at", "item_id", "starts_at"),
    )

    assignment_id: uuid.UUID = Field(foreign_key="assignment.id", primary_key=True)
    item_id: uuid.UUID = Field(foreign_key="fleet_item.id", primary_key=True)
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()
    booked: bool = Field(default=True)
