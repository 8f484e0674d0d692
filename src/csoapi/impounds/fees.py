"""What an impound owes as of an instant (a pure kernel): the fee rules of the pack
(``rules/<pack>-fees.json``) applied to the impound's rates and facts.

- tow: the tow company's rate;
- storage: the lot's daily rate per calendar day, where released within the first period
  after the tow (Civil Code 3068.1: 24 hours) is one day, and after it every calendar day
  begun counts, in the agency's time zone; capped by the value band's storage-days limit;
- admin: the agency's administrative charge (CVC 22850.5);
- lien preparation: once lien work has begun, the agency's fee up to the cap of the value
  band, half of it until the lien notices are mailed, and nothing when the vehicle is
  redeemed within the free period after the tow (CVC 22851.12).

A post-storage hearing that found the storage invalid waives the tow and storage lines.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageRule(_Strict):
    citation: str
    source: str
    first_period_hours: int
    first_period_days: int
    counting: str


class StorageCap(_Strict):
    band: str
    max_days: int
    extended_days: int | None = None
    if_step: str | None = None
    within_days: int | None = None


class StorageCaps(_Strict):
    citation: str
    source: str
    caps: tuple[StorageCap, ...]


class LienCap(_Strict):
    max_value_cents: int | None
    cap_cents: int


class LienFeeRule(_Strict):
    citation: str
    source: str
    caps: tuple[LienCap, ...]
    starts_with: str
    until_notices_percent: int
    notices_step: str
    free_if_redeemed_within_hours: int


class Cited(_Strict):
    citation: str
    source: str
    note: str | None = None
    waives: tuple[str, ...] = ()


class FeePack(_Strict):
    pack: str
    version: str
    jurisdiction: str
    title: str
    storage: StorageRule
    storage_caps: StorageCaps
    lien_fee: LienFeeRule
    admin_fee: Cited
    invalid_storage: Cited


@functools.cache
def fee_pack_for(jurisdiction: str) -> FeePack:
    folder = resources.files("csoapi.impounds") / "rules"
    for f in sorted(folder.iterdir(), key=lambda f: f.name):
        if f.name.endswith(".json"):
            data = json.loads(f.read_text(encoding="utf-8"))
            if "storage" in data and data.get("jurisdiction") == jurisdiction:
                return FeePack.model_validate(data)
    raise LookupError(f"no impound fee pack for {jurisdiction!r}")


@dataclass(frozen=True, slots=True)
class Terms:
    towed_at: datetime
    tow_cents: int
    daily_storage_cents: int
    admin_fee_cents: int
    lien_fee_cents: int
    value_cents: int | None = None
    value_band: str | None = None
    steps: Mapping[str, datetime] = field(default_factory=dict)  # earliest of each step
    waived: bool = False  # storage found invalid
    ended_at: datetime | None = None  # released or disposed


@dataclass(frozen=True, slots=True)
class Line:
    code: str
    description: str
    quantity: int
    unit_cents: int
    amount_cents: int
    waived: bool = False
    citation: str | None = None
    why: str | None = None


def storage_days(towed_at: datetime, until: datetime, tz: tzinfo, rule: StorageRule) -> int:
    """Days of storage from ``towed_at`` to ``until``: none before the tow, the first
    period's days within it, then every calendar day begun (local to ``tz``)."""
    if until < towed_at:
        return 0
    if until - towed_at <= timedelta(hours=rule.first_period_hours):
        return rule.first_period_days
    first, last = towed_at.astimezone(tz).date(), until.astimezone(tz).date()
    return (last - first).days + 1


def storage_cap(pack: FeePack, t: Terms) -> int | None:
    """The most storage days chargeable for the vehicle's value band (None: not valued)."""
    if t.value_band is None:
        return None
    for cap in pack.storage_caps.caps:
        if cap.band != t.value_band:
            continue
        step = t.steps.get(cap.if_step) if cap.if_step else None
        extended = step is not None and cap.within_days is not None and cap.extended_days
        if extended and step - t.towed_at <= timedelta(days=cap.within_days):  # type: ignore[operator]
            return cap.extended_days
        return cap.max_days
    return None


def lien_fee(pack: FeePack, t: Terms, until: datetime) -> tuple[int, str | None]:
    """The lien-preparation fee as of ``until`` and why it is what it is."""
    rule = pack.lien_fee
    started = t.steps.get(rule.starts_with)
    if started is None or started > until:
        return 0, None
    if until - t.towed_at <= timedelta(hours=rule.free_if_redeemed_within_hours):
        return 0, f"redeemed within {rule.free_if_redeemed_within_hours} hours of the tow"
    value = t.value_cents
    cap = next(
        c.cap_cents
        for c in rule.caps
        if c.max_value_cents is None or (value is not None and value <= c.max_value_cents)
    )
    amount = min(t.lien_fee_cents, cap)
    notices = t.steps.get(rule.notices_step)
    if notices is None or notices > until:
        return amount * rule.until_notices_percent // 100, "lien notices not yet mailed"
    return amount, None


def quote(pack: FeePack, t: Terms, as_of: datetime, tz: tzinfo) -> list[Line]:
    until = min(as_of, t.ended_at) if t.ended_at is not None else as_of
    if until < t.towed_at:
        return []
    waives = set(pack.invalid_storage.waives) if t.waived else set()
    days = storage_days(t.towed_at, until, tz, pack.storage)
    cap = storage_cap(pack, t)
    charged = min(days, cap) if cap is not None else days
    lien_cents, lien_why = lien_fee(pack, t, until)
    lines = [
        _line("tow", "Tow", 1, t.tow_cents, waives, pack, None),
        _line(
            "storage",
            "Storage, per calendar day",
            charged,
            t.daily_storage_cents,
            waives,
            pack,
            f"{days} days, capped at {cap}" if cap is not None and days > cap else None,
        ),
        _line("admin", "Administrative charge", 1, t.admin_fee_cents, waives, pack, None),
    ]
    if lien_cents or lien_why:
        lines.append(
            Line(
                "lien_preparation",
                "Lien preparation",
                1,
                lien_cents,
                lien_cents,
                citation=pack.lien_fee.citation,
                why=lien_why,
            )
        )
    return lines


_CITES = {"storage": "storage", "admin": "admin_fee"}


def _line(
    code: str, text: str, qty: int, unit: int, waives: set[str], pack: FeePack, why: str | None
) -> Line:
    cited: Any = getattr(pack, _CITES[code]) if code in _CITES else None
    if code in waives:
        return Line(
            code,
            text,
            qty,
            unit,
            0,
            True,
            pack.invalid_storage.citation,
            "storage found invalid at the post-storage hearing",
        )
    return Line(
        code, text, qty, unit, qty * unit, citation=cited.citation if cited else None, why=why
    )


def total(lines: list[Line]) -> int:
    return sum(line.amount_cents for line in lines)
