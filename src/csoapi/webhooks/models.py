"""Webhook endpoints (one machine client's subscriptions), their deliveries (one per event and
endpoint) and every attempt of a delivery."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.events import BigIntPK
from csoapi.core.models import UTCDateTime, Versioned, created_field, id_field

ENDPOINT_STATUSES = ("active", "disabled")
DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "dead")


class WebhookEndpoint(Versioned, table=True):
    __tablename__ = "webhook_endpoint"
    __table_args__ = (sa.CheckConstraint("status IN ('active', 'disabled')", name="status"),)

    id: uuid.UUID = id_field()
    client_id: uuid.UUID = Field(foreign_key="api_client.id", index=True)
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    # Event types this endpoint receives (`call.created`, `call.*`); empty: every type the
    # client's scopes may read.
    event_types: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # The signing secret must be at hand to sign: it is kept as given out (``whsec_…``) and
    # never returned after creation or rotation.
    secret: str = Field(max_length=128)
    previous_secret: str | None = Field(default=None, max_length=128)
    previous_secret_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    status: str = Field(default="active", max_length=16)
    disabled_reason: str | None = Field(default=None, max_length=200)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    # Since when every attempt has failed (cleared by a success): past the setting's number
    # of days the endpoint is disabled.
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime())
    # The outbox position (transaction id, row id) up to which events were fanned out.
    cursor_txid: int = Field(default=0, sa_type=sa.BigInteger)
    cursor_row: int = Field(default=0, sa_type=sa.BigInteger)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_event"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'succeeded', 'dead')",
            name="status",
        ),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_resource", "endpoint_id", "entity_key", "id"),
    )

    # Numbered in fan-out order: per endpoint and resource, a lower id is an earlier event.
    id: int | None = Field(default=None, sa_column=sa.Column(BigIntPK, primary_key=True))
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", index=True)
    event_id: uuid.UUID
    event_row: int = Field(sa_type=sa.BigInteger)  # outbox_event.id
    event_type: str = Field(max_length=64)
    entity_key: str = Field(max_length=100)  # entity type and id: deliveries keep its order
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime())
    lease_token: uuid.UUID | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: datetime = created_field()


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, sa_column=sa.Column(BigIntPK, primary_key=True))
    delivery_id: int = Field(sa_type=sa.BigInteger, foreign_key="webhook_delivery.id", index=True)
    attempted_at: datetime = Field(sa_type=UTCDateTime())
    status_code: int | None = None
    latency_ms: int = Field(default=0)
    error: str | None = Field(default=None, max_length=500)
