"""The delivery policy, from ``retry_schedule.json`` (the Standard Webhooks schedule and the
operational numbers, with their sources): when to try again, and how long to wait for a
receiver."""

from __future__ import annotations

import email.utils
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources


@dataclass(frozen=True)
class Policy:
    delays_seconds: tuple[float, ...]
    jitter_fraction: float
    retry_after_cap_seconds: float
    timeout_seconds: float
    disable_after_failing_days: float

    @property
    def max_attempts(self) -> int:
        return len(self.delays_seconds)

    def next_delay(
        self, attempts: int, retry_after: float | None = None, rand: random.Random | None = None
    ) -> float | None:
        """Seconds to wait after the ``attempts``-th attempt failed; None: no tries left.
        A receiver's ``Retry-After`` is honoured (up to the cap) when it asks for longer."""
        if attempts >= self.max_attempts:
            return None
        base = self.delays_seconds[attempts]
        spread = base * self.jitter_fraction
        delay = base + (rand or random).uniform(-spread, spread)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_after_cap_seconds))
        return max(delay, 0.0)


def load(name: str = "retry_schedule.json") -> Policy:
    data = json.loads(resources.files(__package__).joinpath(name).read_text())
    return Policy(
        delays_seconds=tuple(float(d) for d in data["delays_seconds"]),
        jitter_fraction=float(data["jitter_fraction"]),
        retry_after_cap_seconds=float(data["retry_after_cap_seconds"]),
        timeout_seconds=float(data["timeout_seconds"]),
        disable_after_failing_days=float(data["disable_after_failing_days"]),
    )


def retry_after(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3);
    None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now) / timedelta(seconds=1), 0.0)
