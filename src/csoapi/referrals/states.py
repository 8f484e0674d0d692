"""The referral's states: the SDOH Clinical Care Task states, and who may set each. Data,
not code: ``REQUESTER`` moves are the referring CSO's (or a sergeant's), ``PROVIDER``
moves the receiving organization's system's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any


class Status(StrEnum):
    draft = "draft"
    requested = "requested"
    accepted = "accepted"
    rejected = "rejected"
    in_progress = "in_progress"
    on_hold = "on_hold"
    failed = "failed"
    completed = "completed"
    cancelled = "cancelled"
    entered_in_error = "entered_in_error"


S = Status
CLOSED = frozenset({S.completed, S.rejected, S.cancelled, S.failed, S.entered_in_error})
NEEDS_REASON = frozenset({S.rejected, S.cancelled, S.on_hold, S.failed})
# Statuses a provider's system sees (a draft has not been sent).
SENT = frozenset(set(Status) - {S.draft})

REQUESTER: dict[Status, frozenset[Status]] = {
    S.draft: frozenset({S.requested, S.cancelled, S.entered_in_error}),
    S.requested: frozenset({S.cancelled, S.entered_in_error}),
    S.accepted: frozenset({S.cancelled, S.entered_in_error}),
    S.in_progress: frozenset({S.cancelled, S.entered_in_error}),
    S.on_hold: frozenset({S.cancelled, S.entered_in_error}),
    S.rejected: frozenset({S.entered_in_error}),
    S.failed: frozenset({S.entered_in_error}),
    S.completed: frozenset({S.entered_in_error}),
    S.cancelled: frozenset({S.entered_in_error}),
}
PROVIDER: dict[Status, frozenset[Status]] = {
    S.requested: frozenset({S.accepted, S.rejected}),
    S.accepted: frozenset({S.in_progress, S.on_hold, S.failed, S.completed}),
    S.in_progress: frozenset({S.on_hold, S.failed, S.completed}),
    S.on_hold: frozenset({S.in_progress, S.failed}),
}
REQUESTER_SETS = frozenset({S.draft, S.requested, S.cancelled, S.entered_in_error})
PROVIDER_SETS = frozenset(Status) - REQUESTER_SETS


class Outcome(StrEnum):
    services_provided = "services_provided"
    information_only = "information_only"
    not_eligible = "not_eligible"
    declined_by_provider = "declined_by_provider"
    cancelled_by_client = "cancelled_by_client"
    unable_to_contact = "unable_to_contact"
    waitlisted = "waitlisted"


class NeedMet(StrEnum):
    fully = "fully"
    partially = "partially"
    not_ = "not"


class ConsentType(StrEnum):
    verbal = "verbal"
    written = "written"


@dataclass(frozen=True)
class ConsentRules:
    written_for_needs: frozenset[str]
    version: str


@cache
def consent_rules() -> ConsentRules:
    raw: dict[str, Any] = json.loads(
        resources.files("csoapi.referrals").joinpath("consent_rules.json").read_text()
    )
    return ConsentRules(
        written_for_needs=frozenset(raw["written_consent_needs"]["needs"]),
        version=raw["version"],
    )
