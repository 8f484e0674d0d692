"""Human numbers (CFS, report, citation numbers): gap-free counters per name and period.

A counter's period is exactly the year as the number shows it (``yearly_numbers``): a CFS
number shows two digits, so 1927 and 2027 draw from one counter ("27") and can never both
take ``CFS27-000001``. Were the counter kept per four-digit year, an old record would take a
number a future year then hands out again, and that year's every intake would fail.

One atomic upsert per number (``INSERT … ON CONFLICT DO UPDATE … RETURNING``). On
PostgreSQL the counter row stays locked until the caller's transaction ends, so concurrent
issuers queue and a rolled-back transaction gives its number back: no duplicates, no gaps.
On SQLite every writing transaction holds the database write lock, with the same effect.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How one kind of human number looks: ``{prefix}{year}-{n}`` with the year shown in
    ``year_digits`` digits (2 or 4) and ``n`` zero-padded to ``width``."""

    name: str
    year_digits: int
    width: int

    def period(self, year: int) -> str:
        return f"{year % 10**self.year_digits:0{self.year_digits}d}"


CALL_NUMBER = NumberFormat("call", year_digits=2, width=6)
REPORT_NUMBER = NumberFormat("report", year_digits=2, width=6)
CITATION_NUMBER = NumberFormat("citation", year_digits=4, width=7)
IMPOUND_NUMBER = NumberFormat("impound", year_digits=2, width=6)
EVIDENCE_BARCODE = NumberFormat("evidence", year_digits=2, width=6)


def yearly_numbers(
    session: Session, fmt: NumberFormat, prefix: str, year: int, count: int = 1
) -> list[str]:
    """The next ``count`` numbers of ``fmt`` for ``year``, from the counter of the period
    the numbers show: two numbers are equal only if they came from the same counter."""
    period = fmt.period(year)
    return [
        f"{prefix}{period}-{n:0{fmt.width}d}" for n in reserve(session, fmt.name, period, count)
    ]


def yearly_number(session: Session, fmt: NumberFormat, prefix: str, year: int) -> str:
    return yearly_numbers(session, fmt, prefix, year, 1)[0]
