"""The permit rules that are numbers (fees, longest validity: ``fees.json``, with their
authority) and the one rule of time: a run of local days as the UTC instants it spans."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from csoapi.core.errors import Unprocessable

KINDS = (
    "residential",
    "visitor",
    "temporary",
    "contractor",
    "disabled_placard_verification",
)


@dataclass(frozen=True, slots=True)
class Fee:
    fee_cents: int
    rule: str  # e.g. "2026-01/residential@2026-01-01"


@cache
def schedule() -> dict[str, Any]:
    text = resources.files("csoapi.permits").joinpath("fees.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    if sorted(data["kinds"]) != sorted(KINDS):
        raise ValueError("fees.json must name exactly the permit kinds")
    for kind, terms in data["kinds"].items():
        renewal = terms["renewal"]
        if renewal is not None and not 0 <= renewal["grace_days"] < renewal["days"]:
            raise ValueError(f"fees.json: {kind}'s renewal grace must be shorter than its run")
    return data


def fee_for(kind: str, on: date) -> Fee:
    """The fee of a ``kind`` permit whose validity begins ``on``: the schedule's latest
    entry effective by then."""
    data = schedule()
    entries = [
        e for e in data["kinds"][kind]["schedule"] if date.fromisoformat(e["effective_from"]) <= on
    ]
    if not entries:
        raise Unprocessable(
            f"No {kind} permit fee is in force on {on.isoformat()}",
            code="no_permit_fee",
            field="valid_from",
        )
    entry = max(entries, key=lambda e: e["effective_from"])
    return Fee(int(entry["fee_cents"]), f"{data['version']}/{kind}@{entry['effective_from']}")


def check_length(kind: str, valid_from: date, valid_to: date) -> None:
    if valid_to < valid_from:
        raise Unprocessable(
            "valid_to is before valid_from", code="permit_days_reversed", field="valid_to"
        )
    longest = int(schedule()["kinds"][kind]["max_days"])
    if (valid_to - valid_from).days + 1 > longest:
        raise Unprocessable(
            f"A {kind} permit is valid for at most {longest} days",
            code="permit_too_long",
            field="valid_to",
        )


@dataclass(frozen=True, slots=True)
class Renewal:
    """What renewing a permit that is good through ``valid_to`` would buy: the run of days
    after it and the fee for them, and the last local day the renewal can be paid."""

    valid_from: date
    valid_to: date
    fee: Fee
    open_until: date


def renewal_of(kind: str, valid_to: date) -> Renewal | None:
    """The renewal of a ``kind`` permit good through ``valid_to`` (None: the kind is not
    renewed through a payment portal, or no fee is in force, or there is nothing to pay)."""
    terms = schedule()["kinds"][kind]["renewal"]
    if terms is None:
        return None
    starts = valid_to + timedelta(days=1)
    try:
        fee = fee_for(kind, starts)
    except Unprocessable:
        return None
    if fee.fee_cents <= 0:
        return None
    return Renewal(
        valid_from=starts,
        valid_to=valid_to + timedelta(days=int(terms["days"])),
        fee=fee,
        open_until=valid_to + timedelta(days=int(terms["grace_days"])),
    )


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant ``day`` begins in ``tz`` (midnight exists on every day in the zones that
    shift at 02:00; where a zone skips midnight, the first instant of the day)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def span(valid_from: date, valid_to: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants the local days ``valid_from``..``valid_to`` (inclusive) begin and end:
    a day is 23 or 25 hours long when the clocks change in it."""
    return local_midnight(valid_from, tz), local_midnight(valid_to + timedelta(days=1), tz)
