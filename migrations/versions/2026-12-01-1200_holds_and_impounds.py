"""hold: one table of holds for every record that can be held (impounds, evidence)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:49:49.608886+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import csoapi.core.models as csoapi_types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hold",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("placed_by", sa.Uuid(), nullable=False),
        sa.Column("placed_by_name", sa.String(length=200), nullable=False),
        sa.Column("placed_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("review_due", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("review_note", sa.String(length=2000), nullable=True),
        sa.Column("released_by", sa.Uuid(), nullable=True),
        sa.Column("released_by_name", sa.String(length=200), nullable=True),
        sa.Column("released_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("release_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "type IN ('investigative', 'evidence', 'administrative', 'court')",
            name=op.f("ck_hold_type_known"),
        ),
        sa.CheckConstraint(
            "(released_at IS NULL) = (released_by IS NULL)",
            name=op.f("ck_hold_released_with_releaser"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hold_subject_kind_review_due_id", ["subject_kind", "review_due", "id"], unique=False
        )
        batch_op.create_index(
            "ix_hold_subject_kind_subject_id", ["subject_kind", "subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index("ix_hold_subject_kind_subject_id")
        batch_op.drop_index("ix_hold_subject_kind_review_due_id")

    op.drop_table("hold")
