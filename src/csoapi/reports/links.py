"""Reports that name a call, for the call timeline (``csoapi.timeline``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.links import LinkedRecord
from csoapi.reports.models import Report


def on_call(session: Session, call_id: uuid.UUID) -> list[LinkedRecord]:
    rows = session.scalars(sa.select(Report).where(Report.call_id == call_id)).all()
    return [
        LinkedRecord(r.created_at, f"{r.kind}_report", "report", r.id, r.number or r.status)
        for r in rows
    ]
