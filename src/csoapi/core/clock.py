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


def implausible(value: datetime, latest: datetime) -> str | None:
    """Why ``value`` cannot be when something happened ("in the future": after ``latest``,
    now plus the clock skew; "before 1900"), or ``None``. The importers' rows and the API's
    requests (``refuse_implausible``) are held to this one rule."""
    if value > latest:
        return "in the future"
    if value < EARLIEST_RECORD:
        return f"before {EARLIEST_RECORD.year}"
    return None


_CODES = {"in the future": "time_in_future", f"before {EARLIEST_RECORD.year}": "time_too_early"}


def refuse_implausible(value: datetime, field: str, now: datetime | None = None) -> datetime:
    """``value`` unchanged, or 422 naming ``field``: ``time_in_future`` or ``time_too_early``."""
    why = implausible(value, (now or utcnow()) + CLOCK_SKEW)
    if why is not None:
        raise Unprocessable(f"'{field}' is {why}", code=_CODES[why], field=field)
    return value
