"""The rule packs (``rules/*.json``): per jurisdiction, the statutory clocks of an impound
(``deadlines``), when an unclaimed vehicle may be disposed of (``disposal``), the value bands
that choose between them, and the fee rules (``rules/<pack>-fees.json``). Every number with
a legal basis lives in a pack next to its citation; the code only reads them.

A pack is versioned (``version``) and each rule carries ``effective_from``: a rule_id may
appear more than once, and the version in force on the day of its trigger applies, so a
change of law never moves a deadline that started under the old one."""

from __future__ import annotations

import functools
import json
from datetime import date
from importlib import resources
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Trigger = Literal[
    "stored",
    "notice_mailed",
    "notice_returned",
    "hearing_requested",
    "hearing_held",
    "valued",
    "doj_notified",
    "doj_reported",
    "dmv_record_requested",
    "lien_notice_mailed",
    "lien_application_filed",
    "lien_authorized",
]
Closing = Literal["released", "disposed"]
Band = Literal["low", "mid", "high"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Offset(_Strict):
    amount: int = Field(ge=0)
    unit: Literal["hours", "days"]


class AppliesIf(_Strict):
    value_band: Band | None = None
    registered_outside: str | None = None  # applies to plates of other states than this


class Rule(_Strict):
    rule_id: str
    title: str
    citation: str
    source: str
    interpretation: str | None = None
    trigger: Trigger
    offset: Offset
    calendar: Literal["calendar", "business"]
    applies_if: AppliesIf = AppliesIf()
    effective_from: date


class DeadlineRule(Rule):
    met_by: Trigger
    moot_when: tuple[Closing, ...] = ()
    kind: Literal["agency", "owner_window"]


class DisposalRule(Rule):
    routes: tuple[Literal["auction", "dismantler"], ...]


class BandLimit(_Strict):
    band: Band
    max_cents: int | None


class ValueBands(_Strict):
    citation: str
    source: str
    bands: tuple[BandLimit, ...]

    def band_of(self, value_cents: int) -> Band:
        for b in self.bands:
            if b.max_cents is None or value_cents <= b.max_cents:
                return b.band
        raise ValueError("the pack's last band must be open-ended")


class HolidayCalendar(_Strict):
    country: str
    subdivision: str | None
    categories: tuple[str, ...]


class TowEligibility(_Strict):
    rule_id: str
    title: str
    citation: str
    source: str
    min_citations: int = Field(ge=1)
    unanswered_days: int = Field(ge=0)
    effective_from: date


class RulePack(_Strict):
    pack: str
    version: str
    jurisdiction: str
    title: str
    holidays: HolidayCalendar
    value_bands: ValueBands
    deadlines: tuple[DeadlineRule, ...]
    disposal: tuple[DisposalRule, ...]
    tow_eligibility: TowEligibility | None = None


R = TypeVar("R", bound=Rule)


def in_force(rules: tuple[R, ...], on: date) -> list[R]:
    """Each rule_id's version in force on ``on`` (the latest effective by then)."""
    chosen: dict[str, R] = {}
    for r in rules:
        if r.effective_from <= on and (
            r.rule_id not in chosen or r.effective_from > chosen[r.rule_id].effective_from
        ):
            chosen[r.rule_id] = r
    return list(chosen.values())


def _files() -> list[dict[str, Any]]:
    folder = resources.files("csoapi.impounds") / "rules"
    return [
        json.loads(f.read_text(encoding="utf-8"))
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".json")
    ]


@functools.cache
def pack_for(jurisdiction: str) -> RulePack:
    for data in _files():
        if "deadlines" in data and data.get("jurisdiction") == jurisdiction:
            return RulePack.model_validate(data)
    raise LookupError(f"no impound rule pack for {jurisdiction!r}")
