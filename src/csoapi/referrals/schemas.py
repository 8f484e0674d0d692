"""Referral inputs and reads. A provider's read (``ProviderReferralRead``) carries only
what the consent shares."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from csoapi.core.schemas import (
    AsString,
    Id,
    Input,
    Name,
    Output,
    PastDay,
    ShortText,
    Text,
    Timestamp,
    Words,
)
from csoapi.directory.schemas import Category
from csoapi.referrals.states import ConsentType, NeedMet, Outcome, Status

DataShared = Annotated[str, Field(pattern=r"^(name|date_of_birth|contact|narrative|needs)$")]


class ReferralPersonIn(Input):
    """The person, minimally: a name (or what they go by), optionally a date of birth and
    a way to reach them."""

    name: Name
    date_of_birth: PastDay | None = None
    contact: Words(200) | None = None


class ConsentIn(Input):
    type: Annotated[ConsentType, AsString]
    purpose: ShortText
    recipients: list[Id] = Field(min_length=1, max_length=10, description="Organization ids")
    data_shared: list[DataShared] = Field(
        default_factory=lambda: ["name", "contact", "needs"], min_length=1, max_length=5
    )
    at: Timestamp
    expires_at: Timestamp

    @model_validator(mode="after")
    def _expires_after(self) -> ConsentIn:
        if self.expires_at <= self.at:
            raise ValueError("expires_at must be after at")
        return self


class ReferralCreate(Input):
    person: ReferralPersonIn
    needs: list[Annotated[Category, AsString]] = Field(min_length=1, max_length=11)
    service_id: Id
    consent: ConsentIn | None = None
    youth: StrictBool = False
    call_id: Id | None = None
    narrative: Text | None = None
    status: Literal["draft", "requested"] = Field(
        default="draft", description="draft, or requested to send it now (needs consent)"
    )


class HandOff(Input):
    """A warm hand-off: the call cleared REFERRED, with its referrals linked to it (ones
    already made, named by id, and or one made now)."""

    at: Timestamp | None = Field(default=None, description="When the call cleared; now if absent")
    referral_ids: list[Id] = Field(default_factory=list, max_length=10)
    referral: ReferralCreate | None = None


class StatusChange(Input):
    status: Annotated[Status, AsString]
    status_reason: ShortText | None = None
    outcome: Annotated[Outcome, AsString] | None = None
    need_met: Annotated[NeedMet, AsString] | None = None


class RevokeIn(Input):
    reason: ShortText | None = None


class FollowUpIn(Input):
    due_at: Timestamp
    outcome: Annotated[Outcome, AsString] | None = None
    notes: Text | None = None


class PurgeIn(Input):
    reason: ShortText


# -- reads -----------------------------------------------------------------------------------
class ReferralPersonRead(Output):
    name: str | None
    date_of_birth: date | None
    contact: str | None


class ConsentRead(Output):
    id: uuid.UUID
    type: str
    purpose: str
    recipients: list[uuid.UUID]
    data_shared: list[str]
    at: datetime
    expires_at: datetime
    captured_by: uuid.UUID
    revoked_at: datetime | None
    valid: bool


class FollowUpRead(Output):
    id: uuid.UUID
    due_at: datetime
    outcome: str | None
    notes: str | None
    created_by: uuid.UUID
    created_at: datetime


class ReferralRead(Output):
    id: uuid.UUID
    status: Status
    service_id: uuid.UUID
    organization_id: uuid.UUID
    call_id: uuid.UUID | None
    needs: list[str]
    youth: bool
    person: ReferralPersonRead | None
    narrative: str | None
    consent: ConsentRead | None
    status_reason: str | None
    outcome: str | None
    need_met: str | None
    requested_by: uuid.UUID
    requested_at: datetime | None
    acknowledged_at: datetime | None
    status_changed_at: datetime
    closed_at: datetime | None
    stale: bool
    purged_at: datetime | None
    follow_ups: list[FollowUpRead]
    version: int
    created_at: datetime
    updated_at: datetime


class ProviderReferralRead(Output):
    """What the receiving organization's system sees: what the consent shares, no more."""

    id: uuid.UUID
    status: Status
    service_id: uuid.UUID
    needs: list[str] | None
    person: ReferralPersonRead | None
    narrative: str | None
    status_reason: str | None
    outcome: str | None
    need_met: str | None
    requested_at: datetime | None
    consent_expires_at: datetime
    version: int


class HandOffRead(Output):
    call_id: uuid.UUID
    call_status: str
    disposition: str | None
    referrals: list[ReferralRead]


class DisclosureRead(Output):
    id: int
    at: datetime
    client_id: uuid.UUID
    organization_id: uuid.UUID
    consent_id: uuid.UUID
    fields: list[str]
    request_id: str | None
