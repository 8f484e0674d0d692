"""Evidence and property: storage locations (room → shelf → bin), the items, their chain of
custody (append-only, hash-linked), dispositions and audits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column


class EvidenceLocation(Versioned, table=True):
    """A room, a shelf in a room, or a bin on a shelf. A room is for evidence or for
    property (found and safekeeping items, IAPE: stored apart); what is below it shares that."""

    __tablename__ = "evidence_location"
    __table_args__ = (
        sa.CheckConstraint("level IN ('room', 'shelf', 'bin')", name="level_known"),
        sa.CheckConstraint("purpose IN ('evidence', 'property')", name="purpose_known"),
    )

    id: uuid.UUID = id_field()
    code: str = Field(max_length=64, unique=True)  # scanned or typed: "PR1-S03-B12"
    name: str = Field(max_length=200)
    level: str = Field(max_length=8)
    purpose: str = Field(max_length=16)
    parent_id: uuid.UUID | None = Field(
        default=None, foreign_key="evidence_location.id", index=True
    )
    high_security: bool = Field(default=False)  # a vault or drug/firearm/money room
    active: bool = Field(default=True)


class EvidenceItem(Versioned, table=True):
    __tablename__ = "evidence_item"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('evidence', 'found_property', 'safekeeping')", name="kind_known"
        ),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("custody_seq >= 1", name="custody_begun"),
        sa.Index("ix_evidence_item_created_at_id", "created_at", "id"),
        sa.Index("ix_evidence_item_status_review_date", "status", "review_date"),
    )

    id: uuid.UUID = id_field()
    barcode: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=16)
    category: str = Field(max_length=24, index=True)
    high_risk: bool = Field(default=False)
    description: str = Field(max_length=2000)
    quantity: int = Field(default=1)
    collected_at: datetime = utc_column()
    collected_by: uuid.UUID = Field(foreign_key="user_account.id")
    found_at: str | None = Field(default=None, max_length=200)
    report_id: uuid.UUID | None = Field(default=None, foreign_key="report.id", index=True)
    call_id: uuid.UUID | None = Field(default=None, foreign_key="call.id", index=True)
    # Found property's owner (personal data): read only with the item, never in events.
    owner_name: str | None = Field(default=None, max_length=200)
    owner_phone: str | None = Field(default=None, max_length=32)
    owner_address: str | None = Field(default=None, max_length=200)
    estimated_value_cents: int | None = None
    biological: bool = Field(default=False)
    status: str = Field(max_length=16, default="in_custody")
    current_location_id: uuid.UUID | None = Field(
        default=None, foreign_key="evidence_location.id", index=True
    )
    current_holder_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    current_party: str | None = Field(default=None, max_length=200)  # a lab, a court
    checked_out_at: datetime | None = utc_column(nullable=True)
    due_back_at: datetime | None = utc_column(nullable=True)
    review_date: date
    review_rule: str = Field(max_length=64)
    # The chain's tip, kept under the item's row lock: the next event is seq + 1 after it.
    custody_seq: int = Field(default=1)
    custody_head: str = Field(max_length=64)


class CustodyEvent(SQLModel, table=True):
    """One link of an item's chain of custody. Never updated or deleted (on PostgreSQL a
    trigger refuses it); ``hash`` is SHA-256 over the RFC 8785 canonical JSON of the event
    with ``prev_hash`` (``evidence.chain``)."""

    __tablename__ = "custody_event"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "seq"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: uuid.UUID = id_field()
    item_id: uuid.UUID = Field(foreign_key="evidence_item.id")
    seq: int
    action: str = Field(max_length=16)
    at: datetime = utc_column()
    recorded_at: datetime = utc_column()
    actor_id: uuid.UUID = Field(foreign_key="user_account.id")
    from_holder_id: uuid.UUID | None = None
    to_holder_id: uuid.UUID | None = None
    from_location_id: uuid.UUID | None = None
    to_location_id: uuid.UUID | None = None
    to_party: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class EvidenceDisposition(Versioned, table=True):
    """A request to dispose of an item: requested → approved (another person) → executed,
    or cancelled."""

    __tablename__ = "evidence_disposition"
    __table_args__ = (
        sa.CheckConstraint("type IN ('return_to_owner', 'destroy', 'auction')", name="type_known"),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'executed', 'cancelled')", name="status_known"
        ),
    )

    id: uuid.UUID = id_field()
    item_id: uuid.UUID = Field(foreign_key="evidence_item.id", index=True)
    type: str = Field(max_length=16)
    status: str = Field(max_length=16, default="requested")
    reason: str = Field(max_length=2000)
    requested_by: uuid.UUID = Field(foreign_key="user_account.id")
    requested_at: datetime = created_field()
    approved_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    approved_at: datetime | None = utc_column(nullable=True)
    executed_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    executed_at: datetime | None = utc_column(nullable=True)
    # Who received it (return), who saw it destroyed, the second person present (high risk).
    receiver: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    witness_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    second_person_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    proceeds_cents: int | None = None


class EvidenceAudit(Versioned, table=True):
    """An audit (IAPE Standard 21): a sample drawn, each scan recorded, closed with a summary
    and its SHA-256."""

    __tablename__ = "evidence_audit"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        sa.Index("ix_evidence_audit_created_at_id", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    status: str = Field(max_length=8, default="open")
    trigger: str = Field(max_length=24)  # scheduled | custodian_change | unannounced
    method: str = Field(max_length=16)  # file_to_shelf | shelf_to_file | both
    location_id: uuid.UUID | None = Field(default=None, foreign_key="evidence_location.id")
    high_risk_percent: int
    other_percent: int
    seed: str = Field(max_length=64)
    opened_by: uuid.UUID = Field(foreign_key="user_account.id")
    closed_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    closed_at: datetime | None = utc_column(nullable=True)
    summary: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    summary_hash: str | None = Field(default=None, max_length=64)
    signature: str | None = Field(default=None, max_length=128)  # Ed25519 over the summary


class EvidenceAuditLine(SQLModel, table=True):
    """One sampled item (file → shelf), or one barcode scanned on a shelf that was not in the
    sample (shelf → file; an unknown barcode has no item), with what the scan showed."""

    __tablename__ = "evidence_audit_line"
    __table_args__ = (sa.UniqueConstraint("audit_id", "barcode"),)

    id: uuid.UUID = id_field()
    audit_id: uuid.UUID = Field(foreign_key="evidence_audit.id", index=True)
    barcode: str = Field(max_length=32)
    item_id: uuid.UUID | None = Field(default=None, foreign_key="evidence_item.id")
    high_risk: bool = Field(default=False)
    sampled: bool  # drawn into the sample, or met while scanning a shelf
    expected_location_id: uuid.UUID | None = None
    scanned_location_id: uuid.UUID | None = None
    scanned_at: datetime | None = utc_column(nullable=True)
    scanned_by: uuid.UUID | None = None
    # pending | found | misplaced | missing | unexpected | unknown
    result: str = Field(max_length=16, default="pending")


BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class CustodyLogEntry(SQLModel, table=True):
    """A custody event's place in the agency-wide transparency log (RFC 9162 style): leaf
    ``index`` in integration order, the leaf input being the event's 32-byte ``hash``."""

    __tablename__ = "custody_log_entry"

    index: int = Field(sa_column=sa.Column(BigInt, primary_key=True, autoincrement=False))
    event_id: uuid.UUID = Field(foreign_key="custody_event.id", unique=True)
    item_id: uuid.UUID = Field(index=True)
    seq: int
    event_hash: str = Field(max_length=64)


class CustodyLogNode(SQLModel, table=True):
    """The hash of a complete subtree: leaves [index·2^level, (index+1)·2^level)."""

    __tablename__ = "custody_log_node"

    level: int = Field(primary_key=True)
    index: int = Field(sa_column=sa.Column(BigInt, primary_key=True, autoincrement=False))
    hash: str = Field(max_length=64)


class CustodyLogHead(SQLModel, table=True):
    """A signed tree head as published: never changed once given out."""

    __tablename__ = "custody_log_head"

    tree_size: int = Field(sa_column=sa.Column(BigInt, primary_key=True, autoincrement=False))
    root_hash: str = Field(max_length=64)
    timestamp: datetime = utc_column()
    signature: str = Field(max_length=128)
