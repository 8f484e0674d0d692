"""Times read from clients: every RFC 3339 instant converts; implausible ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csoapi.core.clock import EARLIEST_RECORD, refuse_implausible, to_utc
from csoapi.core.errors import Unprocessable

OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)
AWARE = st.builds(lambda d, tz: d.replace(tzinfo=tz), st.datetimes(), OFFSETS)


@given(AWARE, AWARE)
def test_to_utc_keeps_the_instant_or_the_order(a, b):
    ua, ub = to_utc(a), to_utc(b)
    assert ua.tzinfo is UTC and ub.tzinfo is UTC
    for value, utc in ((a, ua), (b, ub)):
        if datetime.min.replace(tzinfo=UTC) < utc < datetime.max.replace(tzinfo=UTC):
            assert utc == value  # the same instant
    if a <= b:  # clamped or not, a filter's bounds keep their order
        assert ua <= ub


def test_the_ends_of_time():
    assert to_utc(datetime(1, 1, 1, 0, 0, 30, tzinfo=timezone(timedelta(hours=1)))) == datetime(
        1, 1, 1, tzinfo=UTC
    )
    assert to_utc(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))) == (
        datetime.max.replace(tzinfo=UTC)
    )


def test_refuse_implausible():
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert refuse_implausible(EARLIEST_RECORD, "at", now) == EARLIEST_RECORD
    assert refuse_implausible(now + timedelta(seconds=59), "at", now)  # clock skew
    for value, code in (
        (now + timedelta(seconds=61), "time_in_future"),
        (EARLIEST_RECORD - timedelta(microseconds=1), "time_too_early"),
        (datetime.min.replace(tzinfo=UTC), "time_too_early"),
    ):
        with pytest.raises(Unprocessable) as err:
            refuse_implausible(value, "at", now)
        assert err.value.code == code
