"""Programme statistics over a period: every contributing feature's figures, published with
small cells withheld. One audit row per summary read."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Unprocessable
from csoapi.core.figures import StatsQuery, StatsSource
from csoapi.core.spreadsheet import spreadsheet_cell
from csoapi.stats.render import publish
from csoapi.stats.schemas import Filters, Summary


class StatsService:
    def __init__(
        self, session: Session, ctx: RequestContext, sources: Sequence[StatsSource]
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.sources = sources

    def summary(self, q: StatsQuery) -> Summary:
        if q.end <= q.start:
            raise Unprocessable("'to' must be later than 'from'", code="invalid_period")
        threshold = self.ctx.settings.stats_small_cell_threshold
        figures = [
            publish(f, threshold) for source in self.sources for f in source(self.session, q)
        ]
        audit.record(
            self.session,
            self.ctx,
            "stats.summary",
            entity_type="stats",
            detail={
                "from": q.start.isoformat(),
                "to": q.end.isoformat(),
                "beat": q.beat,
                "call_type": q.call_type,
            },
        )
        return Summary(
            period_from=q.start,
            period_to=q.end,
            filters=Filters(beat=q.beat, call_type=q.call_type),
            small_cell_threshold=threshold,
            figures=figures,
        )


CSV_FIELDS = ["figure", "labels", "value", "unit", "suppressed", "definition"]


def as_csv(summary: Summary) -> str:
    """One row per published cell; ``labels`` as ``dim=value;dim=value``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for fig in summary.figures:
        for cell in fig.cells:
            labels = ";".join(f"{k}={v}" for k, v in cell.labels.items())
            row = {
                "figure": fig.id,
                "labels": labels,
                "value": "" if cell.value is None else cell.value,
                "unit": cell.unit,
                "suppressed": str(cell.suppressed).lower(),
                "definition": fig.definition,
            }
            writer.writerow({k: spreadsheet_cell(v) for k, v in row.items()})
    return out.getvalue()
