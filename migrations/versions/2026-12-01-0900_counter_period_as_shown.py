"""number_counter: call and report counters keyed by the two-digit year their numbers show

Call and report numbers show two year digits (CFS26-000123) while their counters were kept
per four-digit year, so a call received in 1926 drew CFS26-000001 again from a counter of its
own. Each such pair of counters becomes one, at the larger value: every number either handed
out is at most that value, so the merged counter never repeats one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TWO_DIGIT = ("call", "report")
counter = sa.table(
    "number_counter",
    sa.column("name", sa.String),
    sa.column("period", sa.String),
    sa.column("value", sa.BigInteger),
)


def _rekey(period_of) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(counter.c.name, counter.c.period, counter.c.value).where(
            counter.c.name.in_(TWO_DIGIT)
        )
    ).all()
    merged: dict[tuple[str, str], int] = {}
    for name, period, value in rows:
        key = (name, period_of(period))
        merged[key] = max(merged.get(key, 0), int(value))
    conn.execute(sa.delete(counter).where(counter.c.name.in_(TWO_DIGIT)))
    if merged:
        conn.execute(
            sa.insert(counter),
            [{"name": n, "period": p, "value": v} for (n, p), v in merged.items()],
        )


def upgrade() -> None:
    _rekey(lambda period: period[-2:] if len(period) == 4 else period)


def downgrade() -> None:
    # The four-digit years cannot be told apart again: each counter goes back to this century.
    _rekey(lambda period: f"20{period}" if len(period) == 2 else period)
