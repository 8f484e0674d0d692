"""Impounds in the programme statistics: tows by reason, and vehicles released and
disposed of in the period. (No beat: an impound records where it was towed from as an
address.)"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.figures import Figure, StatsQuery
from csoapi.impounds.models import Impound


def _between(column, q: StatsQuery) -> list:  # type: ignore[no-untyped-def]
    return [column >= q.start, column < q.end]


def figures(session: Session, q: StatsQuery) -> list[Figure]:
    by_reason = sa.select(Impound.reason, sa.func.count()).where(*_between(Impound.requested_at, q))
    counts = {(r,): int(n) for r, n in session.execute(by_reason.group_by(Impound.reason))}
    released = session.scalar(sa.select(sa.func.count()).where(*_between(Impound.released_at, q)))
    disposed = session.scalar(sa.select(sa.func.count()).where(*_between(Impound.disposed_at, q)))
    return [
        Figure(
            "impounds.by_reason",
            "Tows requested in the period, by reason",
            "breakdown",
            dims=("reason",),
            counts=counts,
        ),
        Figure(
            "impounds.released",
            "Impounded vehicles released in the period",
            "count",
            counts={(): int(released or 0)},
        ),
        Figure(
            "impounds.disposed",
            "Impounded vehicles disposed of (lien sale, dismantling) in the period",
            "count",
            counts={(): int(disposed or 0)},
        ),
    ]
