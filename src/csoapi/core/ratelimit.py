"""Rate limits kept in the database (one-minute windows), so every API process of an
installation counts against the same budget. Each window's count is spread over a few shard
rows: an increment locks one shard until its transaction ends, so concurrent requests of
one busy client do not all queue on a single row; and the increment is the request's last
statement, so that lock is held only while the transaction commits.

Two ways to use it: ``limited`` around a request that spends one unit of a per-minute budget
when it succeeds (the portal lookup); and ``Budget`` with ``exhausted``/``count`` for
budgets that count something else (failed sign-ins) over one or more minutes, checked
before the work and counted after it. A budget over several minutes is the sum of its last
``minutes`` one-minute windows (a sliding window at minute granularity), and its rows carry
``expires_at`` so that the housekeeping of one-minute windows leaves them alone."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from csoapi.core import writes
from csoapi.core.db import per_dialect
from csoapi.core.errors import TooManyRequests
from csoapi.core.models import UTCDateTime, utc_column, utcnow

SHARDS = 8
PURGE_ONE_IN = 100  # about one request in a hundred also drops finished windows


class RateCounter(SQLModel, table=True):
    __tablename__ = "rate_counter"

    key: str = Field(max_length=96, primary_key=True)
    window_start: datetime = Field(sa_type=UTCDateTime(), primary_key=True)
    shard: int = Field(default=0, primary_key=True)
    count: int = Field(default=0)
    # Set on the rows of budgets longer than a minute: kept until then. NULL: a one-minute
    # window, finished two minutes after it began.
    expires_at: datetime | None = utc_column(nullable=True)


_TABLE = RateCounter.__table__  # type: ignore[attr-defined]
# Built once and run with bound parameters (the request path pays no statement building).
_USED = sa.select(sa.func.sum(_TABLE.c.count)).where(
    _TABLE.c.key == sa.bindparam("key"), _TABLE.c.window_start == sa.bindparam("window")
)
# Run with key, window_start and shard (column names: writes.insert can send it together
# with the request's other last rows).
_COUNT = per_dialect(
    lambda insert: (
        insert(_TABLE)
        .values(count=1)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.key, _TABLE.c.window_start, _TABLE.c.shard],
            set_={"count": _TABLE.c.count + 1},
        )
    )
)


@contextmanager
def limited(session: Session, key: str, limit_per_minute: int) -> Iterator[None]:
    """Refuse (429 with Retry-After) once ``key`` has used its budget this minute; otherwise
    run the block and count it.

    The budget is read up front without a lock; the count is added after the block, so the
    shard row stays locked only from that upsert to the commit, not for the whole request.
    Requests that were already running when the budget ran out may finish: the limit can be
    exceeded by the number of requests in flight, never by more. A refused or failed request
    is not counted (its transaction rolls back). Inside an open ``writes.together`` block the
    count goes with the block's other rows."""
    now = utcnow()
    window = now.replace(second=0, microsecond=0)
    conn = session.connection()
    used = conn.execute(_USED, {"key": key, "window": window}).scalar()
    if (used or 0) >= limit_per_minute:
        retry = 60 - now.second
        raise TooManyRequests(
            f"More than {limit_per_minute} requests a minute; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )
    yield
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_before(session, window - timedelta(minutes=2))
    writes.insert(
        session,
        _COUNT[conn.dialect.name],
        {"key": key, "window_start": window, "shard": secrets.randbelow(SHARDS)},
    )


def purge_before(session: Session, moment: datetime) -> int:
    """Drop the windows that began before ``moment``, except rows a longer budget still
    needs (``expires_at`` not yet passed)."""
    result = session.execute(
        sa.delete(RateCounter).where(
            RateCounter.window_start < moment,
            sa.or_(RateCounter.expires_at.is_(None), RateCounter.expires_at <= utcnow()),
        )
    )
    return int(result.rowcount or 0)


# -- budgets checked before the work and counted after it --------------------------------
MARKER_SHARD = -1  # a count-0 row noting that a key refused something in that minute


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``limit`` counts under ``key`` in the last ``minutes`` one-minute windows."""

    key: str
    limit: int
    minutes: int = 1


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


_USAGE = (
    sa.select(_TABLE.c.key, _TABLE.c.window_start, sa.func.sum(_TABLE.c.count))
    .where(
        _TABLE.c.key.in_(sa.bindparam("keys", expanding=True)),
        _TABLE.c.window_start >= sa.bindparam("since"),
    )
    .group_by(_TABLE.c.key, _TABLE.c.window_start)
    .order_by(_TABLE.c.window_start)
)


def exhausted(
    session: Session, budgets: Sequence[Budget], now: datetime
) -> tuple[Budget, int] | None:
    """The first of ``budgets`` with no room left, and the seconds until it has room again
    (``Retry-After``); None when every one has room. One query for all of them.

    Read without a lock: requests already past this check when a budget runs out may still
    be counted, so a budget can be exceeded by the requests in flight at that moment. A
    caller that needs it exact checks again under a lock its competitors also take."""
    window = _window(now)
    since = window - timedelta(minutes=max(b.minutes for b in budgets) - 1)
    rows = session.connection().execute(
        _USAGE, {"keys": sorted({b.key for b in budgets}), "since": since}
    )
    usage: dict[str, list[tuple[datetime, int]]] = {}
    for key, start, used in rows:
        usage.setdefault(key, []).append((start, int(used or 0)))
    for budget in budgets:
        first = window - timedelta(minutes=budget.minutes - 1)
        windows = [(start, n) for start, n in usage.get(budget.key, []) if start >= first]
        used = sum(n for _, n in windows)
        if used < budget.limit:
            continue
        for start, n in windows:  # oldest first: room returns as old windows drop out
            used -= n
            if used < budget.limit:
                ends = start + timedelta(minutes=budget.minutes)
                return budget, max(1, math.ceil((ends - now).total_seconds()))
    return None


def count(session: Session, budgets: Sequence[Budget], now: datetime) -> None:
    """One more under each budget's key, in this minute's window."""
    window = _window(now)
    conn = session.connection()
    conn.execute(
        _COUNT[conn.dialect.name],
        [
            {
                "key": b.key,
                "window_start": window,
                "shard": secrets.randbelow(SHARDS),
                "expires_at": window + timedelta(minutes=b.minutes + 1) if b.minutes > 1 else None,
            }
            for b in budgets
        ],
    )
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_before(session, window - timedelta(minutes=2))


_MARK = per_dialect(
    lambda insert: (
        insert(_TABLE)
        .values(shard=MARKER_SHARD, count=0)
        .on_conflict_do_nothing(
            index_elements=[_TABLE.c.key, _TABLE.c.window_start, _TABLE.c.shard]
        )
        .returning(_TABLE.c.shard)
    )
)


def first_refusal(session: Session, key: str, now: datetime) -> bool:
    """Note that ``key`` refused a request this minute: True only the first time (in any
    process), so a refusal can be reported once a minute rather than once a request."""
    conn = session.connection()
    marked = conn.execute(_MARK[conn.dialect.name], {"key": key, "window_start": _window(now)})
    return marked.first() is not None  # RETURNING gives a row only when one was inserted


def forget(session: Session, *, keys: Sequence[str] = (), prefixes: Sequence[str] = ()) -> None:
    """Drop every count under ``keys``, and under any key that starts with one of
    ``prefixes`` (a success, or an administrator, making earlier failures moot)."""
    conditions = [RateCounter.key.in_(keys)] if keys else []
    conditions += [RateCounter.key.startswith(p, autoescape=True) for p in prefixes]
    if conditions:
        session.execute(sa.delete(RateCounter).where(sa.or_(*conditions)))
