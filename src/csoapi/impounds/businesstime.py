"""Time as the statutes count it: calendar days, business days, and hours that run only on
business days ("48 hours, excluding weekends and holidays"), in the agency's time zone.

A business day is a weekday that is neither a holiday of the rule pack's calendar (the
``holidays`` package: country, subdivision, categories) nor one of the agency's closure
days (a setting). Days end at 23:59:59 local time: a deadline of "within 3 days" of a tow
on the 1st is met by anything done on or before the 4th. Hours are real elapsed hours
(UTC arithmetic), so a business day of a DST change has 23 or 25 of them."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import holidays

# The longest run of closed days the arithmetic walks through before it calls a calendar
# broken (a closure list that closes the agency for good).
_MAX_CLOSED_RUN = 400
END_OF_DAY = time(23, 59, 59)


@functools.cache
def _holidays(country: str, subdivision: str | None, categories: tuple[str, ...], year: int):
    return holidays.country_holidays(country, subdiv=subdivision, years=year, categories=categories)


class BusinessCalendar:
    def __init__(
        self,
        tz: tzinfo,
        *,
        country: str,
        subdivision: str | None,
        categories: Iterable[str] = ("public",),
        closures: Iterable[date] = (),
    ) -> None:
        self.tz = tz
        self.country = country
        self.subdivision = subdivision
        self.categories = tuple(categories)
        self.closures = frozenset(closures)

    # -- days -----------------------------------------------------------------------------
    def holiday(self, day: date) -> str | None:
        """The holiday's name, or the closure, or None."""
        if day in self.closures:
            return "agency closure"
        names = _holidays(self.country, self.subdivision, self.categories, day.year)
        return names.get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday(day) is None

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY, tzinfo=self.tz).astimezone(UTC)

    def add_business_days(self, day: date, n: int) -> date:
        """The ``n``-th business day after ``day`` (``day`` itself never counts)."""
        out, counted, walked = day, 0, 0
        while counted < n:
            out += timedelta(days=1)
            walked += 1
            if self.is_business_day(out):
                counted, walked = counted + 1, 0
            elif walked > _MAX_CLOSED_RUN:
                raise ValueError("no business day in a year: check the closure days")
        return out

    # -- hours ----------------------------------------------------------------------------
    def add_business_hours(self, start: datetime, hours: int) -> datetime:
        """``start`` plus ``hours`` that elapse on business days only: time on a weekend,
        holiday or closure day does not count."""
        remaining = timedelta(hours=hours)
        cursor = start.astimezone(UTC)
        walked = 0
        while True:
            day = self.local_day(cursor)
            day_end = self.start_of(day + timedelta(days=1))
            if self.is_business_day(day):
                walked = 0
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            else:
                walked += 1
                if walked > _MAX_CLOSED_RUN:
                    raise ValueError("no business day in a year: check the closure days")
            cursor = day_end

    # -- what the rules ask -------------------------------------------------------------
    def due(self, trigger: datetime, amount: int, unit: str, business: bool) -> datetime:
        """When a duty triggered at ``trigger`` is due: ``amount`` hours after it, or by
        the end of the ``amount``-th (business) day after its local day."""
        if unit == "hours":
            if business:
                return self.add_business_hours(trigger, amount)
            return trigger.astimezone(UTC) + timedelta(hours=amount)
        day = self.local_day(trigger)
        if business:
            return self.end_of(self.add_business_days(day, amount))
        return self.end_of(day + timedelta(days=amount))

    def not_before(self, trigger: datetime, amount: int, unit: str, business: bool) -> datetime:
        """The first instant something may be done "no earlier than ``amount`` days after"
        ``trigger``: the start of that local day (or ``amount`` hours after, for hours)."""
        if unit == "hours":
            return self.due(trigger, amount, unit, business)
        day = self.local_day(trigger)
        later = self.add_business_days(day, amount) if business else day + timedelta(days=amount)
        return max(trigger.astimezone(UTC), self.start_of(later))
