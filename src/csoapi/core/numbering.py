"""Human numbers (CFS, report, citation numbers): gap-free counters per name and period.

One atomic upsert per number (``INSERT … ON CONFLICT DO UPDATE … RETURNING``). On
PostgreSQL the counter row stays locked until the caller's transaction ends, so concurrent
issuers queue and a rolled-back transaction gives its number back: no duplicates, no gaps.
On SQLite every writing transaction holds the database write lock, with the same effect.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from csoapi.core.db import per_dialect


class NumberCounter(SQLModel, table=True):
    __tablename__ = "number_counter"

    name: str = Field(max_length=32, primary_key=True)
    period: str = Field(max_length=16, primary_key=True)
    value: int = Field(sa_type=sa.BigInteger, default=0)


_TABLE = NumberCounter.__table__  # type: ignore[attr-defined]
# Built once per dialect and run with bound parameters.
_RESERVE = per_dialect(
    lambda insert: (
        insert(_TABLE)
        .values(name=sa.bindparam("name"), period=sa.bindparam("period"), value=sa.bindparam("n"))
        .on_conflict_do_update(
            index_elements=[_TABLE.c.name, _TABLE.c.period],
            set_={"value": _TABLE.c.value + sa.bindparam("n")},
        )
        .returning(_TABLE.c.value)
    )
)


def reserve(session: Session, name: str, period: str, count: int = 1) -> range:
    """Take the next ``count`` numbers of (name, period); returns them in order."""
    if count < 1:
        raise ValueError("count must be positive")
    conn = session.connection()
    stmt = _RESERVE[conn.dialect.name]
    last = int(conn.execute(stmt, {"name": name, "period": period, "n": count}).scalar_one())
    return range(last - count + 1, last + 1)


def next_number(session: Session, name: str, period: str) -> int:
    return reserve(session, name, period, 1)[0]
