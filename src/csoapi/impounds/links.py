"""Impounds that name a call, for the call timeline (``csoapi.timeline``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.links import LinkedRecord
from csoapi.impounds.models import Impound


def on_call(session: Session, call_id: uuid.UUID) -> list[LinkedRecord]:
    rows = session.scalars(sa.select(Impound).where(Impound.call_id == call_id)).all()
    return [
        LinkedRecord(
            i.requested_at,
            "impound_requested",
            "impound",
            i.id,
            f"{i.number} {i.reason} {i.plate_state or '--'} {i.plate or '(no plate)'}",
        )
        for i in rows
    ]
