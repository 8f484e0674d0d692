"""Assignments that name a call (an accident scene's traffic control), for the timeline."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.assignments.models import Assignment
from csoapi.core.links import LinkedRecord


def on_call(session: Session, call_id: uuid.UUID) -> list[LinkedRecord]:
    rows = session.scalars(sa.select(Assignment).where(Assignment.call_id == call_id)).all()
    return [
        LinkedRecord(a.created_at, f"{a.kind}_assigned", "assignment", a.id, a.title) for a in rows
    ]
