"""The events of impounds (read with impounds:read). Impound payments are announced as
``payment.posted`` and ``payment.reversed`` (see the citations catalogue)."""

from __future__ import annotations

import uuid
from datetime import datetime

from csoapi.core.event_types import EventData, EventType

SCOPE = "impounds:read"


class ImpoundData(EventData):
    id: uuid.UUID
    number: str
    status: str
    reason: str
    plate: str | None
    plate_state: str | None
    storage_lot: str | None
    version: int


class Stored(ImpoundData):
    towed_at: datetime


class Valued(ImpoundData):
    value_cents: int | None


class StepRecorded(ImpoundData):
    step: str


class NoticeMailed(ImpoundData):
    notice_id: uuid.UUID
    to: str
    sha256: str
    pdf_sha256: str


class NoticeOutcome(ImpoundData):
    notice_id: uuid.UUID
    outcome: str


class HearingScheduled(ImpoundData):
    at: datetime


class HearingDecided(ImpoundData):
    outcome: str


class Paid(ImpoundData):
    amount_cents: int
    balance_cents: int


class Disposed(ImpoundData):
    route: str
    proceeds_cents: int | None


def _e(name: str, summary: str, data: type[EventData] = ImpoundData) -> EventType:
    return EventType(name, summary, SCOPE, data)


EVENTS = (
    _e("impound.created", "A tow was requested or recorded"),
    _e("impound.stored", "The vehicle reached the storage lot", Stored),
    _e("impound.valued", "The vehicle was valued (lien sale path)", Valued),
    _e("impound.step_recorded", "A lien or disposal step was recorded", StepRecorded),
    _e("impound.notice_mailed", "An owner or lienholder notice was mailed", NoticeMailed),
    _e("impound.notice_delivered", "A notice was delivered", NoticeOutcome),
    _e("impound.notice_returned", "A notice came back undeliverable", NoticeOutcome),
    _e("impound.hearing_requested", "A post-storage hearing was requested"),
    _e("impound.hearing_scheduled", "The hearing was scheduled", HearingScheduled),
    _e("impound.hearing_decided", "The hearing was decided", HearingDecided),
    _e("impound.paid", "A payment was taken on an impound", Paid),
    _e("impound.released", "The vehicle was released"),
    _e("impound.disposed", "The vehicle was disposed of", Disposed),
)
