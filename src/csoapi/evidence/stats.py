"""Evidence and property in the programme statistics: items taken in during the period by
kind, against dispositions carried out in it by type."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.figures import Figure, StatsQuery
from csoapi.evidence.models import EvidenceDisposition, EvidenceItem


def figures(session: Session, q: StatsQuery) -> list[Figure]:
    intake = (
        sa.select(EvidenceItem.kind, sa.func.count())
        .where(EvidenceItem.created_at >= q.start, EvidenceItem.created_at < q.end)
        .group_by(EvidenceItem.kind)
    )
    done = (
        sa.select(EvidenceDisposition.type, sa.func.count())
        .where(
            EvidenceDisposition.status == "executed",
            EvidenceDisposition.executed_at >= q.start,
            EvidenceDisposition.executed_at < q.end,
        )
        .group_by(EvidenceDisposition.type)
    )
    return [
        Figure(
            "evidence.intake",
            "Items taken into custody in the period (evidence, found property, safekeeping)",
            "breakdown",
            dims=("kind",),
            counts={(k,): int(n) for k, n in session.execute(intake)},
        ),
        Figure(
            "evidence.dispositions",
            "Dispositions carried out in the period (returned to owner, destroyed, auctioned)",
            "breakdown",
            dims=("type",),
            counts={(t,): int(n) for t, n in session.execute(done)},
        ),
    ]
