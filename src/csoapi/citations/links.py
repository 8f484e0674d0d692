"""Citations that name a call, for the call timeline (``csoapi.timeline``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.citations.models import Citation
from csoapi.core.links import LinkedRecord


def on_call(session: Session, call_id: uuid.UUID) -> list[LinkedRecord]:
    rows = session.scalars(sa.select(Citation).where(Citation.call_id == call_id)).all()
    return [
        LinkedRecord(
            c.issued_at,
            f"{c.kind}_issued",
            "citation",
            c.id,
            f"{c.number} {c.violation_code} {c.plate_state} {c.plate}",
        )
        for c in rows
    ]
