"""hold (one table of holds for every record that can be held), impound, impound_notice, impound_payment

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:39:49.888775+00:00
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

    op.create_table(
        "impound",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("plate_state", sa.String(length=2), nullable=True),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("make", sa.String(length=32), nullable=True),
        sa.Column("model", sa.String(length=32), nullable=True),
        sa.Column("color", sa.String(length=32), nullable=True),
        sa.Column("vehicle_year", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("authority", sa.String(length=64), nullable=False),
        sa.Column("towed_from", sa.String(length=200), nullable=False),
        sa.Column("tow_company", sa.String(length=100), nullable=False),
        sa.Column("storage_lot", sa.String(length=100), nullable=False),
        sa.Column("citation_id", sa.Uuid(), nullable=True),
        sa.Column("call_id", sa.Uuid(), nullable=True),
        sa.Column("odometer", sa.Integer(), nullable=True),
        sa.Column("inventory", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("requested_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("requested_by_name", sa.String(length=200), nullable=True),
        sa.Column("towed_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=16), nullable=False),
        sa.Column("tow_cents", sa.Integer(), nullable=False),
        sa.Column("daily_storage_cents", sa.Integer(), nullable=False),
        sa.Column("admin_fee_cents", sa.Integer(), nullable=False),
        sa.Column("lien_fee_cents", sa.Integer(), nullable=False),
        sa.Column("value_cents", sa.Integer(), nullable=True),
        sa.Column("valued_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("valued_by", sa.String(length=200), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("hearing_requested_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("hearing_requested_by", sa.String(length=200), nullable=True),
        sa.Column("hearing_scheduled_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("hearing_outcome", sa.String(length=16), nullable=True),
        sa.Column("hearing_reason", sa.String(length=2000), nullable=True),
        sa.Column("hearing_decided_by", sa.Uuid(), nullable=True),
        sa.Column("hearing_decided_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("paid_cents", sa.Integer(), nullable=False),
        sa.Column("released_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.Uuid(), nullable=True),
        sa.Column("release", sa.JSON(), nullable=True),
        sa.Column("disposed_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("disposed_by", sa.Uuid(), nullable=True),
        sa.Column("disposal_route", sa.String(length=16), nullable=True),
        sa.Column("proceeds_cents", sa.Integer(), nullable=True),
        sa.Column("next_deadline_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'stored', 'released', 'disposed')",
            name=op.f("ck_impound_status_known"),
        ),
        sa.CheckConstraint("paid_cents >= 0", name=op.f("ck_impound_paid_not_negative")),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_impound_call_id_call")),
        sa.ForeignKeyConstraint(
            ["citation_id"], ["citation.id"], name=op.f("fk_impound_citation_id_citation")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["user_account.id"], name=op.f("fk_impound_requested_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impound")),
        sa.UniqueConstraint("external_id", name=op.f("uq_impound_external_id")),
        sa.UniqueConstraint("number", name=op.f("uq_impound_number")),
    )
    with op.batch_alter_table("impound", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_impound_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            "ix_impound_next_deadline_at_id", ["next_deadline_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_impound_plate_state_plate", ["plate_state", "plate"], unique=False
        )
        batch_op.create_index("ix_impound_requested_at_id", ["requested_at", "id"], unique=False)
        batch_op.create_index(
            "ix_impound_status_storage_lot", ["status", "storage_lot"], unique=False
        )

    op.create_table(
        "impound_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("impound_id", sa.Uuid(), nullable=False),
        sa.Column("to", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("addressee", sa.String(length=200), nullable=True),
        sa.Column("mailed_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_at", csoapi_types.UTCDateTime(), nullable=True),
        sa.Column("created_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["impound_id"], ["impound.id"], name=op.f("fk_impound_notice_impound_id_impound")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impound_notice")),
    )
    with op.batch_alter_table("impound_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_impound_notice_impound_id"), ["impound_id"], unique=False
        )

    op.create_table(
        "impound_payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("impound_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("paid_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("posted_at", csoapi_types.UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("reverses_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_impound_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["impound_id"], ["impound.id"], name=op.f("fk_impound_payment_impound_id_impound")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["impound_payment.id"],
            name=op.f("fk_impound_payment_reverses_id_impound_payment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impound_payment")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_impound_payment_reverses_id")),
    )
    with op.batch_alter_table("impound_payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_impound_payment_impound_id"), ["impound_id"], unique=False
        )
        batch_op.create_index("ix_impound_payment_posted_at_id", ["posted_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("impound_payment", schema=None) as batch_op:
        batch_op.drop_index("ix_impound_payment_posted_at_id")
        batch_op.drop_index(batch_op.f("ix_impound_payment_impound_id"))

    op.drop_table("impound_payment")
    with op.batch_alter_table("impound_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_impound_notice_impound_id"))

    op.drop_table("impound_notice")
    with op.batch_alter_table("impound", schema=None) as batch_op:
        batch_op.drop_index("ix_impound_status_storage_lot")
        batch_op.drop_index("ix_impound_requested_at_id")
        batch_op.drop_index("ix_impound_plate_state_plate")
        batch_op.drop_index("ix_impound_next_deadline_at_id")
        batch_op.drop_index(batch_op.f("ix_impound_call_id"))

    op.drop_table("impound")
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index("ix_hold_subject_kind_subject_id")
        batch_op.drop_index("ix_hold_subject_kind_review_due_id")

    op.drop_table("hold")
