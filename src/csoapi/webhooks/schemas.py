from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from csoapi.core.schemas import Input, Output, ShortText, Timestamp, Token

Url = Token(r"^https?://[^\s]+$", max_length=2048)
EventType = Token(r"^([a-z_]+\.([a-z_]+|\*)|\*)$", max_length=64)


class WebhookCreate(Input):
    url: Url
    event_types: Annotated[list[EventType], Field(max_length=64)] = []
    description: ShortText | None = None


class WebhookRead(Output):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    """Returned once, at creation or rotation."""

    secret: str
    previous_secret_valid_until: datetime | None = None


class DeliveryRead(Output):
    """One event's delivery to one endpoint, named by the event's id (the ``webhook-id``
    the receiver saw)."""

    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_latency_ms: int | None
    delivered_at: datetime | None
    created_at: datetime


class RecoverBody(Input):
    since: Timestamp


class Recovered(Output):
    requeued: int
