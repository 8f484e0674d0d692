"""The deadline arithmetic and the California pack against a golden table (pure: no
database), and the properties of business time for many inputs (hypothesis)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csoapi.impounds import deadlines as dl
from csoapi.impounds.businesstime import BusinessCalendar
from csoapi.impounds.rules import RulePack, pack_for

PT = ZoneInfo("America/Los_Angeles")
CA = BusinessCalendar(PT, country="US", subdivision="CA")
PACK = pack_for("US-CA")


def pt(*args: int) -> datetime:
    return datetime(*args, tzinfo=PT)


def due(rule_id: str, facts: dl.Facts, now: datetime | None = None) -> dl.Deadline:
    found = dl.deadlines(PACK, facts, now or pt(2026, 1, 1), CA)
    (d,) = [d for d in found if d.rule_id == rule_id]
    return d


def test_the_holidays_of_2026_as_the_pack_counts_them():
    closed = [d for d in (date(2026, 1, 1) + timedelta(n) for n in range(365)) if CA.holiday(d)]
    weekdays = [d.isoformat() for d in closed if d.weekday() < 5]
    assert weekdays == [
        "2026-01-01",
        "2026-01-19",
        "2026-02-16",
        "2026-03-31",
        "2026-05-25",
        "2026-06-19",
        "2026-07-03",
        "2026-09-07",
        "2026-11-11",
        "2026-11-26",
        "2026-11-27",
        "2026-12-25",
    ]


GOLDEN = [
    # (what, rule_id, facts' events, due in agency time)
    (
        "tow at 16:00 on the Friday before MLK day: 8 h Fri, Tue, 16 h Wed",
        "ca-22852-owner-notice",
        {"stored": pt(2026, 1, 16, 16)},
        pt(2026, 1, 21, 16),
    ),
    (
        "valuation: 3 calendar days, the holiday counts",
        "ca-22670-valuation",
        {"stored": pt(2026, 1, 16, 16)},
        pt(2026, 1, 19, 23, 59, 59),
    ),
    (
        "tow the day before Thanksgiving: Thu and Fri are holidays",
        "ca-22852-owner-notice",
        {"stored": pt(2026, 11, 25, 16)},
        pt(2026, 12, 1, 16),
    ),
    (
        "tow on a Saturday: the clock starts Monday",
        "ca-22852-owner-notice",
        {"stored": pt(2026, 3, 7, 12)},
        pt(2026, 3, 11, 0),
    ),
    (
        "hearing requested the day before the observed Independence Day",
        "ca-22852-hearing",
        {"stored": pt(2026, 6, 29, 9), "hearing_requested": pt(2026, 7, 2, 15)},
        pt(2026, 7, 7, 15),
    ),
    (
        "hearing request window: 10 calendar days from the notice",
        "ca-22852-hearing-request-window",
        {"stored": pt(2026, 1, 16, 16), "notice_mailed": pt(2026, 1, 21, 10)},
        pt(2026, 1, 31, 23, 59, 59),
    ),
    (
        "notice returned undeliverable on the day after Thanksgiving: next business day",
        "ca-22853-doj-unascertained",
        {"stored": pt(2026, 11, 20, 9), "notice_returned": pt(2026, 11, 27, 10)},
        pt(2026, 11, 30, 23, 59, 59),
    ),
]


@pytest.mark.parametrize(
    ("what", "rule_id", "events", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN]
)
def test_golden_table(what, rule_id, events, expected):
    d = due(rule_id, dl.Facts(events))
    assert d.due_at == expected.astimezone(UTC), what
    assert d.due_at.tzinfo is not None


def test_band_rules_and_out_of_state_reports():
    stored = {"stored": pt(2026, 1, 16, 16)}
    low = dl.deadlines(
        PACK, dl.Facts(stored, value_band="low", plate_state="CA"), pt(2026, 1, 1), CA
    )
    ids = {d.rule_id for d in low}
    assert {"ca-22851.2-doj-low-value", "ca-22851.10-dmv-record"} <= ids
    assert "ca-cc3072-dmv-record" not in ids and "ca-22853-out-of-state-report" not in ids
    assert due("ca-22851.10-dmv-record", dl.Facts(stored, value_band="low")).due_at == pt(
        2026, 2, 9, 23, 59, 59
    )
    mid = due("ca-cc3072-dmv-record", dl.Facts(stored, value_band="mid"))
    assert mid.due_at == pt(2026, 1, 31, 23, 59, 59)
    nevada = due("ca-22853-out-of-state-report", dl.Facts(stored, plate_state="NV"))
    # 120 real hours across no DST change: Wednesday 16:00.
    assert nevada.due_at == pt(2026, 1, 21, 16)
    across_dst = due(
        "ca-22853-out-of-state-report", dl.Facts({"stored": pt(2026, 10, 30, 12)}, plate_state="NV")
    )
    assert across_dst.due_at == pt(2026, 11, 4, 11)  # the clocks went back an hour


def test_statuses():
    stored = pt(2026, 1, 16, 16)
    notice_due = pt(2026, 1, 21, 16)
    at = {"stored": stored}
    assert due("ca-22852-owner-notice", dl.Facts(at), now=pt(2026, 1, 20)).status == "open"
    missed = due("ca-22852-owner-notice", dl.Facts(at), now=notice_due + timedelta(seconds=1))
    assert (missed.status, missed.met_at) == ("missed", None)
    on_time = due("ca-22852-owner-notice", dl.Facts(at | {"notice_mailed": notice_due}))
    assert (on_time.status, on_time.met_at) == ("met", notice_due)
    late = due(
        "ca-22852-owner-notice", dl.Facts(at | {"notice_mailed": notice_due + timedelta(minutes=1)})
    )
    assert (late.status, late.why.startswith("notice_mailed late")) == ("missed", True)
    released = dl.Facts(at, closed=("released", pt(2026, 1, 17, 9)))
    moot = due("ca-22852-owner-notice", released, now=pt(2026, 3, 1))
    assert (moot.status, moot.met_at) == ("met", pt(2026, 1, 17, 9))
    assert dl.next_due(dl.deadlines(PACK, released, pt(2026, 3, 1), CA), released) is None
    open_facts = dl.Facts(at)
    found = dl.deadlines(PACK, open_facts, pt(2026, 1, 17), CA)
    assert dl.next_due(found, open_facts) == pt(2026, 1, 19, 23, 59, 59)  # the valuation


def test_closure_days_are_not_business_days():
    closing = BusinessCalendar(PT, country="US", subdivision="CA", closures=[date(2026, 1, 20)])
    d = dl.deadlines(PACK, dl.Facts({"stored": pt(2026, 1, 16, 16)}), pt(2026, 1, 1), closing)
    (notice,) = [x for x in d if x.rule_id == "ca-22852-owner-notice"]
    assert notice.due_at == pt(2026, 1, 22, 16)


def test_the_version_in_force_on_the_trigger_day_applies():
    data = PACK.model_dump(mode="json")
    newer = dict(data["deadlines"][0])
    newer |= {"offset": {"amount": 72, "unit": "hours"}, "effective_from": "2026-06-01"}
    data["deadlines"] = [*data["deadlines"], newer]
    pack = RulePack.model_validate(data)
    before = dl.deadlines(pack, dl.Facts({"stored": pt(2026, 5, 29, 9)}), pt(2026, 1, 1), CA)
    after = dl.deadlines(pack, dl.Facts({"stored": pt(2026, 6, 1, 9)}), pt(2026, 1, 1), CA)
    pick = lambda found: [x for x in found if x.rule_id == "ca-22852-owner-notice"]  # noqa: E731
    assert [x.due_at for x in pick(before)] == [pt(2026, 6, 2, 9)]  # 48 h (Fri -> Tue)
    assert [x.due_at for x in pick(after)] == [pt(2026, 6, 4, 9)]  # 72 h


def test_disposal_eligibility_by_band():
    stored = {"stored": pt(2026, 1, 16, 16)}
    assert dl.disposal(PACK, dl.Facts(stored), CA) is None  # not valued
    waiting = dl.disposal(PACK, dl.Facts(stored, value_band="low"), CA)
    assert waiting is not None and waiting.eligible_at is None
    mailed = dl.disposal(
        PACK, dl.Facts(stored | {"lien_notice_mailed": pt(2026, 2, 2, 14)}, value_band="low"), CA
    )
    assert mailed.eligible_at == pt(2026, 2, 17, 0) and mailed.routes == ("dismantler",)
    high = dl.disposal(
        PACK, dl.Facts(stored | {"lien_authorized": pt(2026, 3, 2, 14)}, value_band="high"), CA
    )
    assert high.eligible_at == pt(2026, 3, 2, 14) and high.routes == ("auction",)


def test_every_rule_cites_its_law_and_no_statutory_number_is_in_the_code():
    folder = resources.files("csoapi.impounds")
    packs = [
        json.loads(f.read_text()) for f in (folder / "rules").iterdir() if f.name.endswith(".json")
    ]
    sections: set[str] = set()
    for pack in packs:
        for key in ("deadlines", "disposal"):
            for rule in pack.get(key, []):
                assert re.search(r"§|Code", rule["citation"]) and rule["source"].startswith("http")
                sections |= set(re.findall(r"\b\d{4,5}(?:\.\d+)?\b", rule["citation"]))
    assert {"22852", "22670", "22853", "3072", "3071"} <= sections
    numbers = sections | {"7000", "10000", "50000", "400000"}  # the caps and bands, in cents
    for py in Path(str(folder)).glob("*.py"):
        text = py.read_text()
        code = re.sub(r'"""[\s\S]*?"""|#.*', "", text)  # docstrings and comments may cite
        for n in numbers:
            assert not re.search(rf"(?<![\w.]){re.escape(n)}(?![\w.])", code), (py.name, n)


# -- properties of business time --------------------------------------------------------
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


def _business_time_between(start: datetime, end: datetime) -> timedelta:
    total, cursor = timedelta(), start
    while cursor < end:
        day = CA.local_day(cursor)
        nxt = min(end, CA.start_of(day + timedelta(days=1)))
        if CA.is_business_day(day):
            total += nxt - cursor
        cursor = nxt
    return total


@settings(max_examples=150, deadline=None)
@given(start=instants, hours=st.integers(min_value=0, max_value=200))
def test_business_hours_count_only_business_time(start, hours):
    end = CA.add_business_hours(start, hours)
    assert end >= start + timedelta(hours=hours) or hours == 0
    assert _business_time_between(start, end) == timedelta(hours=hours)


@settings(max_examples=150, deadline=None)
@given(start=instants, a=st.integers(0, 100), b=st.integers(0, 100))
def test_business_hours_add_up(start, a, b):
    assert CA.add_business_hours(CA.add_business_hours(start, a), b) == CA.add_business_hours(
        start, a + b
    )
    assert CA.add_business_hours(start, a) <= CA.add_business_hours(start, a + b)


@settings(max_examples=150, deadline=None)
@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)), n=st.integers(0, 40))
def test_business_days_land_on_the_nth_business_day(day, n):
    out = CA.add_business_days(day, n)
    between = [day + timedelta(k) for k in range(1, (out - day).days + 1)]
    assert sum(CA.is_business_day(d) for d in between) == n
    assert n == 0 or CA.is_business_day(out)


@settings(max_examples=100, deadline=None)
@given(start=instants, n=st.integers(0, 60))
def test_calendar_days_end_at_the_end_of_the_local_day(start, n):
    end = CA.due(start, n, "days", False).astimezone(PT)
    assert end.date() == start.astimezone(PT).date() + timedelta(days=n)
    assert (end.hour, end.minute, end.second) == (23, 59, 59)
