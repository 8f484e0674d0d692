"""rate_counter.expires_at: rows of budgets longer than a minute outlive the two-minute purge

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import csoapi.core.models as csoapi_types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows are one-minute windows: NULL, purged as before.
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", csoapi_types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
