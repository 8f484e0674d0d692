"""Citations and money in the programme statistics: citations and warnings issued, and the
payments posted in the period (money collected, reversals subtracted)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.citations.models import Citation, Payment
from csoapi.core.figures import Figure, StatsQuery


def figures(session: Session, q: StatsQuery) -> list[Figure]:
    where = [Citation.issued_at >= q.start, Citation.issued_at < q.end]
    if q.beat is not None:
        where.append(Citation.beat == q.beat)
    issued = sa.select(Citation.kind, sa.func.count()).where(*where).group_by(Citation.kind)
    by_kind = {(k,): int(n) for k, n in session.execute(issued)}
    posted = [Payment.posted_at >= q.start, Payment.posted_at < q.end]
    signed = sa.case((Payment.kind == "payment", Payment.amount_cents), else_=-Payment.amount_cents)
    pay = sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((Payment.kind == "payment", 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(signed), 0),
    ).where(*posted)
    if q.beat is not None:
        pay = pay.join(Citation, Citation.id == Payment.citation_id).where(Citation.beat == q.beat)
    count, cents = session.execute(pay).one()
    return [
        Figure(
            "citations.issued",
            "Citations and warnings issued in the period, by kind",
            "breakdown",
            dims=("kind",),
            counts=by_kind,
        ),
        Figure(
            "payments.posted",
            "Payments posted in the period (reversals not counted)",
            "count",
            counts={(): int(count)},
        ),
        Figure(
            "payments.collected_cents",
            "Money collected in the period: payments posted less reversals posted, in cents",
            "money",
            cents=int(cents),
            n=int(count),
        ),
    ]
