"""Times a client tells us: never accepted from the future (allowing for clock skew)."""

from __future__ import annotations

from datetime import datetime, timedelta

from csoapi.core.errors import Unprocessable
from csoapi.core.models import utcnow

CLOCK_SKEW = timedelta(seconds=60)


def refuse_future(value: datetime, field: str, now: datetime | None = None) -> datetime:
    """``value`` unchanged, or 422 ``time_in_future`` naming ``field``."""
    if value > (now or utcnow()) + CLOCK_SKEW:
        raise Unprocessable(f"'{field}' is in the future", code="time_in_future", field=field)
    return value
