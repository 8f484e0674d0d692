"""The pull feed over the outbox, filtered by the caller's scopes (one audit row a poll)."""

from __future__ import annotations

from sqlmodel import Session

from csoapi.core import audit, events
from csoapi.core.context import RequestContext
from csoapi.core.events import OutboxEvent


class EventService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx

    def feed(self, after: str | None, types: list[str], limit: int) -> list[OutboxEvent]:
        rows = events.read_feed(
            self.session,
            after=events.decode_position(after) if after else None,
            types=types or None,
            scopes=self.ctx.actor.scopes,
            limit=limit,
        )
        audit.record_list(
            self.session,
            self.ctx,
            "event.list",
            entity_type="event",
            filters={"after": after, "types": types or None, "limit": limit},
            count=len(rows),
        )
        return list(rows)
