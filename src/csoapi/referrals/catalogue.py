"""The events of referrals (read with referrals:read: CSOs and sergeants). Ids and states
only: never the person, the needs or the notes (contract §9)."""

from __future__ import annotations

import uuid

from pydantic import Field

from csoapi.core.event_types import EventData, EventType

SCOPE = "referrals:read"


class ReferralData(EventData):
    id: uuid.UUID
    status: str
    service_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    version: int


class StatusChanged(ReferralData):
    from_: str = Field(alias="from")


EVENTS = (
    EventType("referral.created", "A referral was made", SCOPE, ReferralData),
    EventType("referral.status_changed", "A referral moved on its loop", SCOPE, StatusChanged),
    EventType(
        "referral.consent_revoked", "The person revoked consent to share", SCOPE, ReferralData
    ),
)
