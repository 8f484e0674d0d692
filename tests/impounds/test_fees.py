"""The fee arithmetic: the first-24-hours rule, calendar days in the agency's zone across
DST, storage caps, the lien-preparation fee's caps and stages, and the quote over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csoapi.impounds import fees
from tests.factories import assert_problem
from tests.impounds.helpers import URL, make_staff, new_impound

PACK = fees.fee_pack_for("US-CA")
PT = ZoneInfo("America/Los_Angeles")
ZONES = st.sampled_from(
    [ZoneInfo(z) for z in ("America/Los_Angeles", "America/New_York", "UTC", "Australia/Lord_Howe")]
)
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


def terms(towed_at: datetime, **kw) -> fees.Terms:
    base = {
        "towed_at": towed_at,
        "tow_cents": 22500,
        "daily_storage_cents": 6500,
        "admin_fee_cents": 18500,
        "lien_fee_cents": 10000,
    }
    return fees.Terms(**(base | kw))


def amounts(lines) -> dict[str, int]:
    return {line.code: line.amount_cents for line in lines}


@settings(max_examples=200, deadline=None)
@given(towed=instants, held=st.integers(0, 24 * 3600), tz=ZONES)
def test_within_the_first_24_hours_is_one_day(towed, held, tz):
    assert fees.storage_days(towed, towed + timedelta(seconds=held), tz, PACK.storage) == 1


@settings(max_examples=200, deadline=None)
@given(towed=instants, held=st.integers(24 * 3600 + 1, 200 * 24 * 3600), tz=ZONES)
def test_after_that_every_calendar_day_begun_counts(towed, held, tz):
    until = towed + timedelta(seconds=held)
    days = fees.storage_days(towed, until, tz, PACK.storage)
    local = {(towed + timedelta(hours=h)).astimezone(tz).date() for h in range(0, held // 3600 + 1)}
    local.add(until.astimezone(tz).date())
    assert days == len(local)  # the local dates touched, whatever their length (DST)
    assert days >= 2


@settings(max_examples=150, deadline=None)
@given(towed=instants, a=st.integers(0, 90 * 24), b=st.integers(0, 90 * 24), tz=ZONES)
def test_storage_never_decreases_with_time(towed, a, b, tz):
    early, late = sorted((a, b))
    d1 = fees.storage_days(towed, towed + timedelta(hours=early), tz, PACK.storage)
    d2 = fees.storage_days(towed, towed + timedelta(hours=late), tz, PACK.storage)
    assert d1 <= d2
    assert fees.storage_days(towed, towed - timedelta(seconds=1), tz, PACK.storage) == 0


def test_across_the_dst_change_in_the_agency_zone():
    towed = datetime(2026, 11, 1, 0, 30, tzinfo=PT)  # 25-hour day
    assert fees.storage_days(towed, datetime(2026, 11, 1, 23, 45, tzinfo=PT), PT, PACK.storage) == 1
    assert fees.storage_days(towed, datetime(2026, 11, 2, 0, 45, tzinfo=PT), PT, PACK.storage) == 2
    spring = datetime(2026, 3, 7, 23, 0, tzinfo=PT)
    assert fees.storage_days(spring, datetime(2026, 3, 9, 1, 0, tzinfo=PT), PT, PACK.storage) == 3


def test_quote_lines_caps_and_the_lien_fee():
    towed = datetime(2026, 1, 5, 10, tzinfo=PT)
    at = towed + timedelta(days=2, hours=1)
    assert amounts(fees.quote(PACK, terms(towed), at, PT)) == {
        "tow": 22500,
        "storage": 19500,
        "admin": 18500,
    }
    assert fees.quote(PACK, terms(towed), towed - timedelta(hours=1), PT) == []
    # The storage cap of the value band.
    long = towed + timedelta(days=90)
    low = fees.quote(PACK, terms(towed, value_cents=30000, value_band="low"), long, PT)
    assert [(x.quantity, x.why) for x in low if x.code == "storage"] == [
        (60, "91 days, capped at 60")
    ]
    filed = {"lien_application_filed": towed + timedelta(days=20)}
    high = terms(towed, value_cents=900000, value_band="high", steps=filed)
    assert [x.quantity for x in fees.quote(PACK, high, long, PT) if x.code == "storage"] == [91]
    # Lien preparation: none until lien work begins, half until the notices, capped by band.
    begun = {"dmv_record_requested": towed + timedelta(days=4)}
    t = terms(towed, value_cents=300000, value_band="mid", steps=begun)
    assert (
        amounts(fees.quote(PACK, t, towed + timedelta(days=3), PT)).get("lien_preparation") is None
    )
    assert amounts(fees.quote(PACK, t, towed + timedelta(days=5), PT))["lien_preparation"] == 3500
    notices = begun | {"lien_notice_mailed": towed + timedelta(days=6)}
    t = terms(towed, value_cents=300000, value_band="mid", steps=notices)
    assert amounts(fees.quote(PACK, t, towed + timedelta(days=7), PT))["lien_preparation"] == 7000
    t = terms(towed, value_cents=900000, value_band="high", steps=notices)
    assert amounts(fees.quote(PACK, t, towed + timedelta(days=7), PT))["lien_preparation"] == 10000
    quick = terms(towed, steps={"dmv_record_requested": towed + timedelta(hours=1)})
    lines = fees.quote(PACK, quick, towed + timedelta(hours=70), PT)
    assert [(x.amount_cents, x.why) for x in lines if x.code == "lien_preparation"] == [
        (0, "redeemed within 72 hours of the tow")
    ]
    # Released: storage stops at the release, whatever the quote's instant.
    out = terms(towed, ended_at=towed + timedelta(hours=5))
    assert amounts(fees.quote(PACK, out, towed + timedelta(days=30), PT))["storage"] == 6500
    # Storage found invalid: tow and storage waived.
    waived = fees.quote(PACK, terms(towed, waived=True), at, PT)
    assert amounts(waived) == {"tow": 0, "storage": 0, "admin": 18500}
    assert all(x.waived for x in waived if x.code in ("tow", "storage"))


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def test_the_quote_over_http(client, staff):
    i = await new_impound(client, staff["cso"], towed_at="2026-11-28T10:00:00-08:00")
    url = f"{URL}/{i['id']}/fees"
    assert_problem(await client.get(url), 401)
    assert_problem(await client.get(url, headers=staff["portal"]), 403)
    first = await client.get(
        url, params={"as_of": "2026-11-28T20:00:00-08:00"}, headers=staff["records"]
    )
    assert first.status_code == 200, first.text
    q = first.json()
    assert {x["code"]: x["amount_cents"] for x in q["lines"]} == {
        "tow": 22500,
        "storage": 6500,
        "admin": 18500,
    }
    assert q["total_cents"] == q["balance_cents"] == 47500
    later = await client.get(
        url, params={"as_of": "2026-11-30T09:00:00-08:00"}, headers=staff["cso"]
    )
    assert later.json()["total_cents"] == 22500 + 3 * 6500 + 18500
    storage = [x for x in later.json()["lines"] if x["code"] == "storage"][0]
    assert storage["citation"] == "Cal. Civ. Code § 3068.1(a)"
    assert_problem(
        await client.get(url, params={"as_of": "2026-11-30T09:00:00"}, headers=staff["cso"]), 422
    )
    requested = await new_impound(client, staff["cso"])
    empty = (await client.get(f"{URL}/{requested['id']}/fees", headers=staff["cso"])).json()
    assert (empty["lines"], empty["total_cents"]) == ([], 0)
