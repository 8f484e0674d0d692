"""The review date an item gets at intake, from the versioned rule file ``retention.json``
(each rule with its legal citation), and the categories the IAPE calls high risk."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any

CATEGORIES = (
    "firearm",
    "drugs",
    "money",
    "jewelry",
    "biological",
    "electronics",
    "documents",
    "identification",
    "clothing",
    "bicycle",
    "tools",
    "vehicle_parts",
    "weapon_other",
    "other",
)
HIGH_RISK = frozenset({"firearm", "drugs", "money", "jewelry"})


@dataclass(frozen=True, slots=True)
class Review:
    on: date
    rule_id: str
    citation: str
    auto_dispose: bool


@functools.cache
def rule_file() -> dict[str, Any]:
    text = resources.files("csoapi.evidence").joinpath("retention.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def audit_rates() -> dict[str, Any]:
    """The audit sampling rates (``audits.json``), each with its source."""
    text = resources.files("csoapi.evidence").joinpath("audits.json").read_text("utf-8")
    return json.loads(text)


def found_holding_days(override: int | None) -> int:
    """The found-property holding period: the setting when given, else the rule file's."""
    if override is not None:
        return override
    return int(rule_file()["found_property_holding_days"]["days"])


def _matches(match: dict[str, Any], facts: dict[str, Any]) -> bool:
    return all(facts.get(key) == value for key, value in match.items())


def review_for(
    *,
    kind: str,
    category: str,
    biological: bool,
    intake_day: date,
    holding_days: int | None = None,
) -> Review:
    """The first rule matching the item, applied to its intake day (agency time)."""
    facts = {
        "kind": kind,
        "high_risk": category in HIGH_RISK,
        "biological": biological or category == "biological",
        "category": category,
    }
    for rule in rule_file()["rules"]:
        if not _matches(rule["match"], facts):
            continue
        days = rule["review_after_days"]
        if days == "found_property_holding_days":
            days = found_holding_days(holding_days)
        return Review(
            intake_day + timedelta(days=int(days)),
            rule["id"],
            rule["citation"],
            bool(rule["auto_dispose"]),
        )
    raise LookupError(f"no retention rule matches a {kind} item")  # the file covers every kind
