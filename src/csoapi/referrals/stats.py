"""Referrals in the programme statistics: referrals sent in the period by where they stand,
their outcomes, and the closed-loop rate (the share whose provider reported back). Counts
only: the small cells of these figures are the most sensitive of all, and the statistics
withhold them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.figures import Figure, StatsQuery
from csoapi.referrals.models import Referral

NO_OUTCOME = "(none yet)"


def figures(session: Session, q: StatsQuery) -> list[Figure]:
    sent = [
        Referral.requested_at >= q.start,
        Referral.requested_at < q.end,
        Referral.status != "entered_in_error",
    ]
    by_status = sa.select(Referral.status, sa.func.count()).where(*sent).group_by(Referral.status)
    outcome = sa.func.coalesce(Referral.outcome, NO_OUTCOME)
    by_outcome = sa.select(outcome, sa.func.count()).where(*sent).group_by(outcome)
    looped = sa.and_(Referral.closed_at.is_not(None), Referral.outcome.is_not(None))
    loop = sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((looped, 1), else_=0)), 0)
    ).where(*sent)
    whole, part = session.execute(loop).one()
    return [
        Figure(
            "referrals.by_status",
            "Referrals sent in the period, by where each stands now",
            "breakdown",
            dims=("status",),
            counts={(s,): int(n) for s, n in session.execute(by_status)},
        ),
        Figure(
            "referrals.outcomes",
            f"Referrals sent in the period, by the outcome reported ({NO_OUTCOME!r}: open)",
            "breakdown",
            dims=("outcome",),
            counts={(o,): int(n) for o, n in session.execute(by_outcome)},
        ),
        Figure(
            "referrals.closed_loop",
            "Of the referrals sent in the period, the share closed with an outcome reported "
            "by the receiving organization (the closed loop)",
            "share",
            counts={("part",): int(part), ("whole",): int(whole)},
        ),
    ]
