"""Rate limits kept in the database (fixed one-minute windows), so every API process of an
installation counts against the same budget. Each window's count is spread over a few shard
rows: an increment locks one shard until its transaction ends, so concurrent requests of
one busy client do not all queue on a single row."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

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


def hit(session: Session, key: str, limit_per_minute: int) -> None:
    """Count one request for ``key``; past the limit, 429 with Retry-After."""
    now = utcnow()
    window = now.replace(second=0, microsecond=0)
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_before(session, window - timedelta(minutes=2))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = RateCounter.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(table)
        .values(key=key, window_start=window, shard=secrets.randbelow(SHARDS), count=1)
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start, table.c.shard],
            set_={"count": table.c.count + 1},
        )
    )
    count = int(
        session.scalar(
            sa.select(sa.func.sum(table.c.count)).where(
                table.c.key == key, table.c.window_start == window
            )
        )
        or 0
    )
    if count > limit_per_minute:
        retry = 60 - now.second
        raise TooManyRequests(
            f"More than {limit_per_minute} requests a minute; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


def purge_before(session: Session, moment: datetime) -> int:
    result = session.execute(sa.delete(RateCounter).where(RateCounter.window_start < moment))
    return int(result.rowcount or 0)
