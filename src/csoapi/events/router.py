"""GET /api/v1/events — the pull feed over the outbox, filtered by the caller's scopes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, StringConstraints

from csoapi.core import events
from csoapi.core.carrier import carrier
from csoapi.core.pagination import DEFAULT_LIMIT, LimitQuery
from csoapi.core.problems import error_responses
from csoapi.events.service import EventService

router = APIRouter(prefix="/events", tags=["events"])
EventReader = carrier(EventService, "events:read")


TYPES_DOC = "Event types such as `call.created` (repeat the parameter or comma-separate)"
EventTypes = Annotated[
    str,
    StringConstraints(max_length=512, pattern=r"^[a-z_]+\.[a-z_]+(,[a-z_]+\.[a-z_]+)*$"),
]


class EventRead(BaseModel):
    id: uuid.UUID
    position: str
    type: str
    entity_type: str
    entity_id: str
    occurred_at: datetime
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str | None


@router.get(
    "",
    operation_id="events_list",
    summary="Read events after a position (pull feed)",
    description="Events come in commit order. Pass the `position` of the last event you "
    "processed as `after`; `next_cursor` is that position when more events are waiting.",
    response_model=EventPage,
    responses=error_responses(401, 403, 422),
)
async def list_events(
    unit: EventReader,
    after: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")] = None,
    types: Annotated[list[EventTypes] | None, Query(max_length=64, description=TYPES_DOC)] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Response:
    wanted = sorted({t.strip() for raw in types or [] for t in raw.split(",") if t.strip()})

    def work(svc: EventService) -> EventPage:
        items = [
            EventRead(
                id=r.event_id,
                position=events.encode_position(r.txid, r.id or 0),
                type=r.type,
                entity_type=r.entity_type,
                entity_id=r.entity_id,
                occurred_at=r.occurred_at,
                data=r.payload,
            )
            for r in svc.feed(after, wanted, limit)
        ]
        more = items[-1].position if len(items) == limit else None
        return EventPage(items=items, next_cursor=more)

    return await unit.run(work)
