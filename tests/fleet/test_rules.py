"""The maintenance rule (``fleet.rules``) on its own, with hypothesis, and the worklist's
SQL held to it over HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csoapi.fleet import rules
from tests.factories import everyone
from tests.fleet.helpers import URL, add, equipment, today

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
readings = st.integers(min_value=0, max_value=2_000_000)
margins = st.integers(min_value=0, max_value=100_000)


@st.composite
def schedules(draw):
    if draw(st.booleans()):
        every = draw(st.none() | st.integers(min_value=1, max_value=3650))
        return rules.Schedule(due_on=draw(days), every_days=every, done=draw(st.booleans()))
    every = draw(st.none() | st.integers(min_value=1, max_value=200_000))
    return rules.Schedule(due_odometer=draw(readings), every_miles=every, done=draw(st.booleans()))


def test_a_task_is_due_by_one_measure_only():
    with pytest.raises(ValueError):
        rules.Schedule(due_on=date(2027, 1, 1), due_odometer=5)
    with pytest.raises(ValueError):
        rules.Schedule()
    with pytest.raises(ValueError):
        rules.Schedule(due_on=date(2027, 1, 1), every_miles=5)
    with pytest.raises(ValueError):
        rules.Schedule(due_odometer=5, every_days=5)


@given(schedules(), days, st.none() | readings, margins)
def test_due_exactly_at_the_boundaries(s, on, odometer, margin):
    by_date = rules.is_due(s, on=on, odometer=odometer, margin=None)
    assert by_date == (not s.done and s.due_on is not None and s.due_on <= on)
    by_miles = rules.is_due(s, on=None, odometer=odometer, margin=margin)
    expected = (
        not s.done
        and s.due_odometer is not None
        and odometer is not None
        and s.due_odometer - odometer <= margin
    )
    assert by_miles == expected


@given(schedules(), days, readings, margins, st.integers(min_value=1, max_value=400))
def test_due_is_monotone(s, on, odometer, margin, more):
    """Later dates, higher readings and wider margins only add to the worklist."""
    if rules.is_due(s, on=on, odometer=odometer, margin=margin):
        assert rules.is_due(s, on=on + timedelta(days=more), odometer=odometer, margin=margin)
        assert rules.is_due(s, on=on, odometer=odometer + more, margin=margin)
        assert rules.is_due(s, on=on, odometer=odometer, margin=margin + more)


@given(schedules(), days, readings)
def test_overdue_is_due_yesterday_or_reached(s, today_, odometer):
    yesterday = today_ - timedelta(days=1)
    expected = rules.is_due(s, on=yesterday, odometer=odometer, margin=None) or rules.is_due(
        s, on=None, odometer=odometer, margin=0
    )
    assert rules.overdue(s, today=today_, odometer=odometer) == expected


@given(schedules(), days, readings)
def test_completing_moves_a_recurring_task_past_the_service(s, on, odometer):
    after = rules.completed(s, on=on, odometer=odometer)
    recurring = s.every_days is not None or s.every_miles is not None
    assert after.done == (not recurring)
    assert after.every_days == s.every_days and after.every_miles == s.every_miles
    if s.every_days is not None:
        assert after.due_on == on + timedelta(days=s.every_days)
        assert not rules.overdue(after, today=on, odometer=odometer)
        assert rules.overdue(after, today=after.due_on + timedelta(days=1), odometer=odometer)
    if s.every_miles is not None:
        assert after.due_odometer == odometer + s.every_miles
        assert not rules.overdue(after, today=on, odometer=odometer)
        assert rules.overdue(after, today=on, odometer=after.due_odometer)
    if not recurring:
        assert not rules.is_due(after, on=date.max, odometer=2_000_000, margin=100_000)


def test_completing_an_odometer_task_needs_the_reading():
    with pytest.raises(ValueError):
        rules.completed(rules.Schedule(due_odometer=10), on=date(2027, 1, 1), odometer=None)


async def test_the_worklist_sql_states_the_rule(client, db, settings):
    """Items with tasks around each boundary; every query answers what ``rules.is_due``
    says, item by item."""
    sgt = everyone(db, settings)["sergeant"].headers
    base, reading = today(settings), 10_000
    made: dict[str, rules.Schedule] = {}
    for n, offset in enumerate((-1, 0, 1, 7)):
        due = (base + timedelta(days=offset)).isoformat()
        item = await add(
            client,
            sgt,
            equipment(
                unit_number=f"D-{n}", name=f"D{n}", maintenance=[{"task": "Check", "due_on": due}]
            ),
        )
        made[item["id"]] = rules.Schedule(due_on=base + timedelta(days=offset))
    for n, ahead in enumerate((-5, 0, 1, 250, 251)):
        item = await add(
            client,
            sgt,
            equipment(
                unit_number=f"M-{n}",
                name=f"M{n}",
                odometer=reading,
                category="trailer",
                maintenance=[{"task": "Bearings", "due_odometer": reading + ahead}],
            ),
        )
        made[item["id"]] = rules.Schedule(due_odometer=reading + ahead)
    for on_offset in (-2, -1, 0, 1, 6, 7):
        on = base + timedelta(days=on_offset)
        for margin in (None, 0, 1, 250, 251):
            q = f"service_due_before={on.isoformat()}"
            if margin is not None:
                q += f"&service_due_odometer_within={margin}"
            r = await client.get(f"{URL}?{q}&limit=500", headers=sgt)
            got = {i["id"] for i in r.json()["items"]}
            m = 0 if margin is None else margin
            want = {
                k for k, s in made.items() if rules.is_due(s, on=on, odometer=reading, margin=m)
            }
            assert got == want, (q, got ^ want)
