"""Items taken in on a call, for the call timeline (``csoapi.timeline``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.links import LinkedRecord
from csoapi.evidence.models import EvidenceItem


def on_call(session: Session, call_id: uuid.UUID) -> list[LinkedRecord]:
    rows = session.scalars(sa.select(EvidenceItem).where(EvidenceItem.call_id == call_id)).all()
    return [
        LinkedRecord(r.created_at, f"{r.kind}_intake", "evidence_item", r.id, r.barcode)
        for r in rows
    ]
