"""GET /api/v1/stats/summary: built with the features that contribute figures."""
# No "from __future__ import annotations": the route's carrier alias is local, and FastAPI
# resolves annotations by name.

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from csoapi.core.carrier import carrier
from csoapi.core.figures import StatsQuery, StatsSource
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.core.values import Beat
from csoapi.stats.schemas import Summary
from csoapi.stats.service import StatsService, as_csv

CallType = Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")]


def build_router(sources: Sequence[StatsSource]) -> APIRouter:
    router = APIRouter(prefix="/stats", tags=["stats"])

    def service(session: Any, ctx: Any) -> StatsService:
        return StatsService(session, ctx, sources)

    Reader = carrier(service, "stats:read")  # noqa: N806 - an alias, read as a type

    @router.get(
        "/summary",
        operation_id="stats_summary",
        summary="Programme statistics over a period, each figure with its definition; small "
        "cells withheld",
        description="Counts under the small-cell threshold are `null` with `suppressed: "
        "true`, and so is any cell that would let one be recovered by subtraction. Send "
        "`Accept: text/csv` for one row per cell.",
        response_model=Summary,
        responses=error_responses(401, 403, 422) | {200: {"content": {"text/csv": {}}}},
    )
    async def stats_summary(
        unit: Reader,  # type: ignore[valid-type]
        from_: Annotated[Timestamp, Query(alias="from")],
        to: Annotated[Timestamp, Query()],
        beat: Annotated[Beat | None, Query()] = None,
        call_type: CallType | None = None,
        accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Response:
        q = StatsQuery(start=from_, end=to, beat=beat, call_type=call_type)
        if accept and "text/csv" in accept:

            def csv_work(svc: StatsService) -> Response:
                return Response(
                    as_csv(svc.summary(q)),
                    media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="stats.csv"'},
                )

            return await unit.run(csv_work)
        return await unit.run(lambda svc: svc.summary(q))

    return router
