"""Referrals of a person to a service of the directory, with the consent that lets it be
sent, its closed loop with the provider (statuses, follow-ups) and every disclosure.

The person's data (name, date of birth, contact) and the narrative are the most sensitive
data of the system: they live in these columns only, are never put in an event or a log
line, and are removed by a purge (``purged_at`` says when; the record stays)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Referral(Versioned, table=True):
    __tablename__ = "referral"
    __table_args__ = (
        sa.Index("ix_referral_created_at_id", "created_at", "id"),
        sa.Index("ix_referral_organization_id_status", "organization_id", "status"),
    )

    id: uuid.UUID = id_field()
    status: str = Field(max_length=20)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id")
    call_id: uuid.UUID | None = Field(default=None, foreign_key="call.id", index=True)
    needs: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    youth: bool = False
    person_name: str | None = Field(default=None, max_length=200)
    person_dob: date | None = None
    person_contact: str | None = Field(default=None, max_length=200)
    narrative: str | None = Field(default=None, sa_type=sa.Text)
    status_reason: str | None = Field(default=None, max_length=500)
    outcome: str | None = Field(default=None, max_length=32)
    need_met: str | None = Field(default=None, max_length=16)
    requested_by: uuid.UUID = Field(foreign_key="user_account.id")
    requested_at: datetime | None = utc_column(nullable=True)
    acknowledged_at: datetime | None = utc_column(nullable=True)
    status_changed_at: datetime = utc_column(index=True)
    closed_at: datetime | None = utc_column(nullable=True)
    purged_at: datetime | None = utc_column(nullable=True)
    purged_by: uuid.UUID | None = None


class ReferralConsent(SQLModel, table=True):
    """The person's consent to share: one row each time it is given; the latest rules."""

    __tablename__ = "referral_consent"
    __table_args__ = (sa.Index("ix_referral_consent_referral_id_at", "referral_id", "at"),)

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = Field(foreign_key="referral.id", ondelete="CASCADE")
    type: str = Field(max_length=16)
    purpose: str = Field(max_length=500)
    recipients: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    data_shared: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    at: datetime = utc_column()
    expires_at: datetime = utc_column()
    captured_by: uuid.UUID = Field(foreign_key="user_account.id")
    revoked_at: datetime | None = utc_column(nullable=True)
    revoked_by: uuid.UUID | None = None
    revoke_reason: str | None = Field(default=None, max_length=500)


class ReferralActivity(SQLModel, table=True):
    """Append-only: each status change of a referral, who made it, and why."""

    __tablename__ = "referral_activity"
    __table_args__ = (sa.Index("ix_referral_activity_referral_id_id", "referral_id", "id"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BigIntPK, primary_key=True))
    referral_id: uuid.UUID = Field(foreign_key="referral.id", ondelete="CASCADE")
    at: datetime = utc_column()
    kind: str = Field(max_length=24)
    actor_kind: str = Field(max_length=8)
    actor_id: str = Field(max_length=36)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, max_length=500)


class ReferralFollowUp(SQLModel, table=True):
    __tablename__ = "referral_follow_up"
    __table_args__ = (sa.Index("ix_referral_follow_up_due_at", "due_at"),)

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = Field(foreign_key="referral.id", ondelete="CASCADE", index=True)
    due_at: datetime = utc_column()
    outcome: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    created_by: uuid.UUID = Field(foreign_key="user_account.id")
    created_at: datetime = created_field()


class ReferralDisclosure(SQLModel, table=True):
    """Append-only: each time a provider read a referral (what, when, by which client)."""

    __tablename__ = "referral_disclosure"
    __table_args__ = (sa.Index("ix_referral_disclosure_referral_id_id", "referral_id", "id"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BigIntPK, primary_key=True))
    referral_id: uuid.UUID = Field(foreign_key="referral.id", ondelete="CASCADE")
    at: datetime = utc_column()
    client_id: uuid.UUID = Field(foreign_key="api_client.id")
    organization_id: uuid.UUID = Field(foreign_key="organization.id")
    consent_id: uuid.UUID = Field(foreign_key="referral_consent.id")
    fields: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    request_id: str | None = Field(default=None, max_length=128)
    detail: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
