"""The fleet in the programme statistics: vendor services and their cost, check-outs in the
period, and, as the fleet stands at the end of the period (or now, if sooner), items out of
service and items with maintenance overdue."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.figures import Figure, StatsQuery
from csoapi.fleet.models import FleetCheckout, FleetItem, FleetServiceRecord, FleetTask


def figures(session: Session, q: StatsQuery) -> list[Figure]:
    services, cost = _services(session, q)
    checkouts = session.scalar(
        sa.select(sa.func.count()).where(
            FleetCheckout.out_at >= q.start, FleetCheckout.out_at < q.end
        )
    )
    by_status = dict(
        session.execute(
            sa.select(FleetItem.status, sa.func.count()).group_by(FleetItem.status)
        ).all()
    )
    return [
        Figure(
            "fleet.service_records",
            "Vendor service records with a service date in the period",
            "count",
            counts={(): int(services)},
        ),
        Figure(
            "fleet.service_cost",
            "Cost of the vendor service records with a service date in the period, in cents",
            "money",
            cents=int(cost),
        ),
        Figure(
            "fleet.checkouts",
            "Equipment and vehicle check-outs to staff made in the period",
            "count",
            counts={(): int(checkouts or 0)},
        ),
        Figure(
            "fleet.items_by_status",
            "Fleet items by status (in_service, out_of_service, retired) as they stand now",
            "breakdown",
            dims=("status",),
            counts={(s,): int(n) for s, n in by_status.items()},
        ),
        Figure(
            "fleet.maintenance_overdue",
            "Items not retired with a maintenance task overdue at the end of the period (or "
            "today, if sooner): due by date before that day, or due by an odometer reading "
            "the item's last reading has reached",
            "count",
            counts={(): _overdue(session, q)},
        ),
    ]


def _services(session: Session, q: StatsQuery) -> tuple[int, int]:
    start, end = q.start.date(), q.end.date()
    in_period = [FleetServiceRecord.serviced_on >= start, FleetServiceRecord.serviced_on < end]
    total = sa.func.coalesce(sa.func.sum(FleetServiceRecord.cost_cents), 0)
    n, cents = session.execute(sa.select(sa.func.count(), total).where(*in_period)).one()
    return int(n), int(cents)


def _overdue(session: Session, q: StatsQuery) -> int:
    as_of = min(q.end, datetime.now(UTC)).date()
    n = session.scalar(
        sa.select(sa.func.count(sa.distinct(FleetItem.id)))
        .join(FleetTask, FleetTask.item_id == FleetItem.id)
        .where(
            FleetItem.status != "retired",
            FleetTask.done.is_(False),
            sa.or_(
                FleetTask.due_on < as_of,
                sa.and_(
                    FleetItem.odometer.is_not(None), FleetItem.odometer >= FleetTask.due_odometer
                ),
            ),
        )
    )
    return int(n or 0)
