"""A call's timeline: its activity lines (calls) and the linked records every contributing
feature reports (``core.links.CallLinks``), in time order. Reading it is audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import Session

from csoapi.calls.service import CallService
from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.links import CallLinks
from csoapi.timeline.schemas import TimelineEntry


class TimelineService:
    def __init__(self, session: Session, ctx: RequestContext, sources: Sequence[CallLinks]) -> None:
        self.session = session
        self.ctx = ctx
        self.calls = CallService(session, ctx)
        self.sources = tuple(sources)

    def of_call(self, call_id: uuid.UUID) -> list[TimelineEntry]:
        call = self.calls.get(call_id)
        entries = [
            TimelineEntry(
                at=a.at,
                kind=a.kind,
                actor=a.actor_name,
                from_status=a.from_status,
                to_status=a.to_status,
                assigned_to=a.assigned_to,
                text=a.text,
                detail=a.detail,
            )
            for a in self.calls.activity(call.id)
        ]
        for source in self.sources:
            entries += [
                TimelineEntry(
                    at=r.at,
                    kind=r.kind,
                    record_type=r.record_type,
                    record_id=r.record_id,
                    text=r.text,
                )
                for r in source(self.session, call.id)
            ]
        entries.sort(key=lambda e: e.at)
        audit.record(self.session, self.ctx, "call.timeline", entity_type="call", entity_id=call.id)
        return entries
