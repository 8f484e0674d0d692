"""GET /api/v1/calls/{call_id}/timeline: built with the features that contribute to it."""
# No "from __future__ import annotations": the route's carrier alias is local, and FastAPI
# resolves annotations by name.

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from csoapi.core.carrier import carrier
from csoapi.core.links import CallLinks
from csoapi.core.problems import error_responses
from csoapi.timeline.schemas import Timeline
from csoapi.timeline.service import TimelineService


def build_router(sources: Sequence[CallLinks]) -> APIRouter:
    """The timeline route, reading the records of each of ``sources`` (the features'
    ``call_links``, gathered in ``csoapi.features``)."""
    router = APIRouter(prefix="/calls", tags=["calls"])

    def service(session: Any, ctx: Any) -> TimelineService:
        return TimelineService(session, ctx, sources)

    Reader = carrier(service, "calls:read")  # noqa: N806 - an alias, read as a type

    @router.get(
        "/{call_id}/timeline",
        operation_id="calls_timeline",
        description="Transitions, notes and every linked record (reports, citations, impounds, "
        "evidence, referrals naming the call) in time order, each with its kind and "
        "id; audited as a read of the call.",
        summary="Everything that happened on a call, in time order",
        response_model=Timeline,
        responses=error_responses(401, 403, 422, 404),
    )
    async def call_timeline(call_id: uuid.UUID, unit: Reader) -> Response:  # type: ignore[valid-type]
        return await unit.run(lambda svc: Timeline(call_id=call_id, items=svc.of_call(call_id)))

    return router
