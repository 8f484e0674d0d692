"""Outreach in the programme statistics: community events held in the period by kind, the
people who came, the youth-focused events, the Neighborhood Watch groups active and the
Watch meetings held. Counts only: no contact, partner or place."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.figures import Figure, StatsQuery
from csoapi.outreach.models import OutreachEvent, WatchGroup, WatchMeeting


def figures(session: Session, q: StatsQuery) -> list[Figure]:
    held = [
        OutreachEvent.starts_at >= q.start,
        OutreachEvent.starts_at < q.end,
        OutreachEvent.status != "cancelled",
    ]
    by_kind = (
        sa.select(OutreachEvent.kind, sa.func.count()).where(*held).group_by(OutreachEvent.kind)
    )
    totals = sa.select(
        sa.func.coalesce(sa.func.sum(OutreachEvent.attendance), 0),
        sa.func.coalesce(sa.func.sum(sa.case((OutreachEvent.youth_focus, 1), else_=0)), 0),
    ).where(*held)
    attendance, youth = session.execute(totals).one()
    # A group counts as active in the period when it was registered before the period's end
    # and is active now (a group keeps no history of its activity flag).
    active = sa.select(sa.func.count()).where(WatchGroup.active, WatchGroup.created_at < q.end)
    meetings = sa.select(sa.func.count()).where(
        WatchMeeting.held_at >= q.start, WatchMeeting.held_at < q.end
    )
    return [
        Figure(
            "outreach.events_by_kind",
            "Community events and meetings held (not cancelled) that began in the period, by kind",
            "breakdown",
            dims=("kind",),
            counts={(k,): int(n) for k, n in session.execute(by_kind)},
        ),
        Figure(
            "outreach.attendance",
            "People who came to the community events and meetings that began in the period "
            "(the sum of the attendance recorded; events without a count add nothing)",
            "count",
            counts={(): int(attendance)},
        ),
        Figure(
            "outreach.youth_events",
            "Community events and meetings that began in the period with a youth focus",
            "count",
            counts={(): int(youth)},
        ),
        Figure(
            "outreach.watch_groups_active",
            "Neighborhood Watch groups registered before the period's end and active now",
            "count",
            counts={(): int(session.scalar(active) or 0)},
        ),
        Figure(
            "outreach.watch_meetings",
            "Neighborhood Watch group meetings held in the period",
            "count",
            counts={(): int(session.scalar(meetings) or 0)},
        ),
    ]
