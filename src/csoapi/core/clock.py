"""Times a client tells us: any RFC 3339 instant is read; a time something happened must be
plausible (not in the future, allowing for clock skew, and not before 1900)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csoapi.core.errors import Unprocessable
from csoapi.core.models import utcnow

CLOCK_SKEW = timedelta(seconds=60)
# No record of ours is older, and any time zone can be applied to a time after it (the
# agency's day of a citation, a call's year) without leaving datetime's range.
EARLIEST_RECORD = datetime(1900, 1, 1, tzinfo=UTC)
_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


def to_utc(value: datetime) -> datetime:
    """``value`` (aware) in UTC. An instant beyond datetime's range in UTC (0001-01-01T00:00
    at +01:00 is in year 0) becomes its first or last instant: as a filter's bound it selects
    exactly the same rows, and as a time something happened it is refused anyway."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return _FIRST if value.year == 1 else _LAST


def refuse_implausible(value: datetime, field: str, now: datetime | None = None) -> datetime:
    """``value`` unchanged, or 422 naming ``field``: ``time_in_future`` or ``time_too_early``."""
    if value > (now or utcnow()) + CLOCK_SKEW:
        raise Unprocessable(f"'{field}' is in the future", code="time_in_future", field=field)
    if value < EARLIEST_RECORD:
        raise Unprocessable(
            f"'{field}' is before {EARLIEST_RECORD.year}", code="time_too_early", field=field
        )
    return value
