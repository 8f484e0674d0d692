"""The maintenance rule, pure: when a task is due, and what a service that completes it
makes due next. The worklist's SQL (``repository.worklist``) states the same rule; the
tests hold the two to each other.

- A task is due by date ``on`` when its ``due_on`` is on or before ``on``.
- A task is due by odometer within ``margin`` miles when the item's odometer reading plus
  the margin reaches its ``due_odometer`` (``margin`` 0: the reading has reached it). An
  item with no reading has no odometer task due.
- A completed one-off task (``done``) is never due.
- Completing a recurring task moves it on from the service, not from when it was due: by
  date, ``every_days`` after the service date; by odometer, ``every_miles`` after the
  service's reading. A one-off task is done.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Schedule:
    due_on: date | None = None
    due_odometer: int | None = None
    every_days: int | None = None
    every_miles: int | None = None
    done: bool = False

    def __post_init__(self) -> None:
        if (self.due_on is None) == (self.due_odometer is None):
            raise ValueError("a task is due by a date or by an odometer reading, not both")
        if self.every_days is not None and self.due_on is None:
            raise ValueError("every_days goes with due_on")
        if self.every_miles is not None and self.due_odometer is None:
            raise ValueError("every_miles goes with due_odometer")

    @property
    def by_odometer(self) -> bool:
        return self.due_odometer is not None


def due_by_date(s: Schedule, on: date) -> bool:
    return not s.done and s.due_on is not None and s.due_on <= on


def due_by_odometer(s: Schedule, odometer: int | None, margin: int = 0) -> bool:
    if s.done or s.due_odometer is None or odometer is None:
        return False
    return odometer + margin >= s.due_odometer


def is_due(s: Schedule, *, on: date | None, odometer: int | None, margin: int | None) -> bool:
    """On the worklist for ``on`` (a date) and ``margin`` (miles): due by date when ``on`` is
    given, by odometer when ``margin`` is given."""
    if on is not None and due_by_date(s, on):
        return True
    return margin is not None and due_by_odometer(s, odometer, margin)


def overdue(s: Schedule, *, today: date, odometer: int | None) -> bool:
    """Past due now: its date has passed (due today is not yet overdue), or the odometer
    has reached its reading."""
    if s.done:
        return False
    if s.due_on is not None:
        return s.due_on < today
    return due_by_odometer(s, odometer, 0)


def completed(s: Schedule, *, on: date, odometer: int | None) -> Schedule:
    """The task after a service on ``on`` at ``odometer`` completed it."""
    if s.due_on is not None:
        if s.every_days is None:
            return replace(s, done=True)
        return replace(s, due_on=on + timedelta(days=s.every_days), done=False)
    if odometer is None:
        raise ValueError("completing an odometer task takes the service's odometer reading")
    if s.every_miles is None:
        return replace(s, done=True)
    return replace(s, due_odometer=odometer + s.every_miles, done=False)
