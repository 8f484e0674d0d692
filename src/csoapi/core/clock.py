"""Times a client tells us: inside the range every time zone can be applied to, and never
accepted from the future (allowing for clock skew)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csoapi.core.errors import Unprocessable
from csoapi.core.models import utcnow

CLOCK_SKEW = timedelta(seconds=60)
# A day inside datetime's own range at either end: any offset or time zone can be applied to
# a time between these (the agency's day of a citation, a call's year) without overflowing.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def in_range_utc(value: datetime) -> datetime:
    """``value`` (aware) in UTC; ``ValueError`` outside ``EARLIEST`` .. ``LATEST``."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before datetime's first UTC instant
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueError("is out of range: from 0001-01-02 to 9999-12-30 (UTC)")
    return utc


def refuse_future(value: datetime, field: str, now: datetime | None = None) -> datetime:
    """``value`` unchanged, or 422 ``time_in_future`` naming ``field``."""
    if value > (now or utcnow()) + CLOCK_SKEW:
        raise Unprocessable(f"'{field}' is in the future", code="time_in_future", field=field)
    return value
