"""Calls for service in the programme statistics: calls by type and disposition, the time
from receipt to arrival and from arrival to clearing, and the share closed by a CSO
without escalation to a sworn officer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.calls.models import Call
from csoapi.core.figures import Figure, StatsQuery, percentile_cont

NO_DISPOSITION = "(none)"


def _in_period(q: StatsQuery) -> list[Any]:
    where = [Call.received_at >= q.start, Call.received_at < q.end]
    if q.beat is not None:
        where.append(Call.beat == q.beat)
    if q.call_type is not None:
        where.append(Call.call_type == q.call_type)
    return where


def figures(session: Session, q: StatsQuery) -> list[Figure]:
    return [
        _by_type_and_disposition(session, q),
        _durations(
            session,
            q,
            "calls.received_to_on_scene",
            "Seconds from a call's receipt to a CSO's arrival on scene, over calls received "
            "in the period that reached on scene",
            Call.received_at,
            Call.on_scene_at,
        ),
        _durations(
            session,
            q,
            "calls.on_scene_to_cleared",
            "Seconds from arrival on scene to clearing, over calls received in the period "
            "that were cleared after arrival",
            Call.on_scene_at,
            Call.cleared_at,
        ),
        _closed_without_escalation(session, q),
    ]


def _by_type_and_disposition(session: Session, q: StatsQuery) -> Figure:
    disposition = sa.func.coalesce(Call.disposition, NO_DISPOSITION)
    stmt = (
        sa.select(Call.call_type, disposition, sa.func.count())
        .where(*_in_period(q))
        .group_by(Call.call_type, disposition)
    )
    counts = {(t, d): int(n) for t, d, n in session.execute(stmt)}
    return Figure(
        "calls.by_type_and_disposition",
        "Calls received in the period, by call type and disposition "
        f"({NO_DISPOSITION!r}: not yet disposed)",
        "table",
        dims=("call_type", "disposition"),
        counts=counts,
    )


def _durations(
    session: Session, q: StatsQuery, fid: str, definition: str, start: Any, end: Any
) -> Figure:
    where = [*_in_period(q), start.is_not(None), end.is_not(None), end >= start]
    if session.get_bind().dialect.name == "postgresql":
        seconds = sa.extract("epoch", end - start)
        stmt = sa.select(
            sa.func.count(),
            sa.func.percentile_cont(0.5).within_group(seconds),
            sa.func.percentile_cont(0.9).within_group(seconds),
        ).where(*where)
        n, median, p90 = session.execute(stmt).one()
        return Figure(fid, definition, "durations", n=int(n), median=median, p90=p90)
    pairs = session.execute(sa.select(start, end).where(*where)).all()
    ordered = sorted((b - a).total_seconds() for a, b in pairs)
    return Figure(
        fid,
        definition,
        "durations",
        n=len(ordered),
        median=percentile_cont(ordered, 0.5),
        p90=percentile_cont(ordered, 0.9),
    )


def _closed_without_escalation(session: Session, q: StatsQuery) -> Figure:
    closed = sa.or_(Call.status == "cleared", Call.escalated_at.is_not(None))
    kept = sa.and_(Call.status == "cleared", Call.escalated_at.is_(None))
    stmt = sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((kept, 1), else_=0)), 0)
    ).where(*_in_period(q), closed)
    whole, part = session.execute(stmt).one()
    return Figure(
        "calls.closed_without_escalation",
        "Of the calls received in the period that were cleared or escalated, the share "
        "cleared by a CSO without escalation to a sworn officer",
        "share",
        counts={("part",): int(part), ("whole",): int(whole)},
    )
