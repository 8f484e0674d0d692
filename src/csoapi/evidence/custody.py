"""The one writer of custody events. Every event of every item is appended here, by a caller
holding the item's row lock (``Changes.begin`` takes it: ``SELECT … FOR UPDATE`` on
PostgreSQL, the database write lock on SQLite). Under that lock the item's ``custody_seq``
and ``custody_head`` are the chain's tip, so two appends to one item queue: the second
reads the tip the first wrote, and can never take the same ``seq`` or link to the same
``prev_hash`` (a fork). The unique (item, seq) constraint stands behind that."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from csoapi.core.models import new_row, utcnow
from csoapi.evidence import chain
from csoapi.evidence.models import CustodyEvent, EvidenceItem


def append(
    session: Session,
    item: EvidenceItem,
    action: str,
    *,
    actor_id: uuid.UUID,
    at: datetime | None = None,
    to_holder_id: uuid.UUID | None = None,
    to_location_id: uuid.UUID | None = None,
    to_party: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    first: bool = False,
) -> CustodyEvent:
    """The next event of ``item`` (locked by the caller), hashed onto its chain; the item's
    tip moved to it. ``first``: the intake event of a new item."""
    now = utcnow()
    seq = 1 if first else item.custody_seq + 1
    prev = chain.GENESIS if first else item.custody_head
    event = new_row(
        CustodyEvent,
        item_id=item.id,
        seq=seq,
        action=action,
        at=at or now,
        recorded_at=now,
        actor_id=actor_id,
        from_holder_id=None if first else item.current_holder_id,
        to_holder_id=to_holder_id,
        from_location_id=None if first else item.current_location_id,
        to_location_id=to_location_id,
        to_party=to_party,
        reason=reason,
        detail=detail or {},
        prev_hash=prev,
        hash="",
    )
    event.hash = chain.digest(event)
    item.custody_seq, item.custody_head = seq, event.hash
    session.add(event)
    return event
