"""Rate limits kept in the database (fixed one-minute windows), so every API process of an
installation counts against the same budget. Each window's count is spread over a few shard
rows: an increment locks one shard until its transaction ends, so concurrent requests of
one busy client do not all queue on a single row; and the increment is the request's last
statement, so that lock is held only while the transaction commits."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from csoapi.core import writes
from csoapi.core.db import per_dialect
from csoapi.core.errors import TooManyRequests
from csoapi.core.models import UTCDateTime, utcnow

SHARDS = 8
PURGE_ONE_IN = 100  # about one request in a hundred also drops finished windows


class RateCounter(SQLModel, table=True):
    __tablename__ = "rate_counter"

    key: str = Field(max_length=96, primary_key=True)
    window_start: datetime = Field(sa_type=UTCDateTime(), primary_key=True)
    shard: int = Field(default=0, primary_key=True)
    count: int = Field(default=0)


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
    result = session.execute(sa.delete(RateCounter).where(RateCounter.window_start < moment))
    return int(result.rowcount or 0)
