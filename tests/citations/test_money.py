"""The money rules, unit by unit and as properties over many histories."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from csoapi.citations.money import Pause, Payment, Terms, Tier, accrual_day, amount_due, due_on

TIERS = (Tier(21, 2500), Tier(56, 5000))
D0 = date(2026, 3, 1)


def test_fine_then_tiers_accrue_on_their_days():
    t = Terms(fine_cents=6300, tiers=TIERS, issued_on=D0)
    assert amount_due(t, D0).balance_cents == 6300
    assert amount_due(t, D0 + timedelta(days=20)).balance_cents == 6300
    assert amount_due(t, D0 + timedelta(days=21)).balance_cents == 8800
    b = amount_due(t, D0 + timedelta(days=56))
    assert (b.penalties_cents, b.balance_cents) == (7500, 13800)
    assert [line.kind for line in b.lines] == ["fine", "penalty", "penalty"]
    assert due_on(t) == D0 + timedelta(days=21)


def test_paid_in_time_means_no_penalty_and_partial_payment_does_not_stop_it():
    paid = Terms(
        fine_cents=6300,
        tiers=TIERS,
        issued_on=D0,
        payments=(Payment(D0 + timedelta(days=20), 6300),),
    )
    assert amount_due(paid, D0 + timedelta(days=100)).balance_cents == 0
    part = Terms(
        fine_cents=6300,
        tiers=TIERS,
        issued_on=D0,
        payments=(Payment(D0 + timedelta(days=5), 3000),),
    )
    b = amount_due(part, D0 + timedelta(days=30))
    assert (b.paid_cents, b.penalties_cents, b.balance_cents) == (3000, 2500, 5800)


def test_a_bounced_payment_lets_later_tiers_apply():
    t = Terms(
        fine_cents=6300,
        tiers=TIERS,
        issued_on=D0,
        payments=(Payment(D0 + timedelta(days=10), 6300), Payment(D0 + timedelta(days=30), -6300)),
    )
    b = amount_due(t, D0 + timedelta(days=60))
    assert (b.penalties_cents, b.balance_cents) == (5000, 11300)  # the 21-day tier was paid up


def test_contest_holds_accrual_and_shifts_it_by_its_length():
    open_contest = Terms(
        fine_cents=6300, tiers=TIERS, issued_on=D0, pauses=(Pause(D0 + timedelta(days=10), None),)
    )
    assert amount_due(open_contest, D0 + timedelta(days=400)).penalties_cents == 0
    assert due_on(open_contest) is None
    closed = Terms(
        fine_cents=6300,
        tiers=TIERS,
        issued_on=D0,
        pauses=(Pause(D0 + timedelta(days=10), D0 + timedelta(days=40)),),
    )
    assert accrual_day(closed, 21) == D0 + timedelta(days=51)
    assert amount_due(closed, D0 + timedelta(days=50)).penalties_cents == 0
    assert amount_due(closed, D0 + timedelta(days=51)).penalties_cents == 2500
    # A contest that starts after a tier came due does not take that tier back.
    late = Terms(
        fine_cents=6300, tiers=TIERS, issued_on=D0, pauses=(Pause(D0 + timedelta(days=30), None),)
    )
    assert amount_due(late, D0 + timedelta(days=300)).penalties_cents == 2500


def test_upheld_reset_reduction_dismissal_and_warning():
    reset = Terms(fine_cents=6300, tiers=TIERS, issued_on=D0, clock_from=D0 + timedelta(days=60))
    assert amount_due(reset, D0 + timedelta(days=70)).penalties_cents == 0
    assert amount_due(reset, D0 + timedelta(days=81)).penalties_cents == 2500
    reduced = Terms(fine_cents=6300, tiers=TIERS, issued_on=D0, reduced_to_cents=2000)
    b = amount_due(reduced, D0 + timedelta(days=1))
    assert (b.reductions_cents, b.balance_cents) == (4300, 2000)
    dismissed = Terms(
        fine_cents=6300, tiers=TIERS, issued_on=D0, dismissed=True, payments=(Payment(D0, 1000),)
    )
    b = amount_due(dismissed, D0 + timedelta(days=200))
    assert (b.balance_cents, b.penalties_cents, b.reductions_cents) == (0, 0, 5300)
    assert amount_due(Terms(0, TIERS, D0, warning=True), D0 + timedelta(days=99)).balance_cents == 0


days = st.integers(min_value=0, max_value=400)


@st.composite
def histories(draw):
    fine = draw(st.integers(min_value=0, max_value=100_000))
    tiers = tuple(
        sorted(
            draw(
                st.lists(st.builds(Tier, st.integers(1, 200), st.integers(0, 50_000)), max_size=4)
            ),
            key=lambda t: t.after_days,
        )
    )
    issued = D0
    pauses: list[Pause] = []
    if draw(st.booleans()):
        start = draw(days)
        end = draw(st.one_of(st.none(), st.integers(start, start + 120)))
        pauses.append(
            Pause(
                issued + timedelta(days=start),
                None if end is None else issued + timedelta(days=end),
            )
        )
    reduced = draw(st.one_of(st.none(), st.integers(0, fine)))
    base = Terms(fine, tiers, issued, pauses=tuple(pauses), reduced_to_cents=reduced)
    # Payments one by one, each at most what is owed that day (as the API enforces).
    payments: list[Payment] = []
    for day in sorted(draw(st.lists(days, max_size=6))):
        on = issued + timedelta(days=day)
        owed = amount_due(Terms(**{**_fields(base), "payments": tuple(payments)}), on).balance_cents
        if owed == 0:
            continue
        amount = draw(st.integers(1, owed))
        payments.append(Payment(on, amount))
        if draw(st.booleans()) and draw(st.booleans()):
            payments.append(Payment(on + timedelta(days=draw(st.integers(0, 30))), -amount))
    return Terms(**{**_fields(base), "payments": tuple(payments)})


def _fields(t: Terms) -> dict:
    return {f: getattr(t, f) for f in Terms.__slots__}


@settings(max_examples=300, deadline=None)
@given(histories(), days, days)
def test_properties(terms, a, b):
    early, late = sorted((a, b))
    x = amount_due(terms, D0 + timedelta(days=early))
    y = amount_due(terms, D0 + timedelta(days=late))
    for bd in (x, y):
        assert bd.balance_cents >= 0
        assert (
            bd.paid_cents + bd.balance_cents
            == bd.fine_cents + bd.penalties_cents - bd.reductions_cents
        )
        assert sum(line.amount_cents for line in bd.lines) == bd.balance_cents
    assert x.penalties_cents <= y.penalties_cents  # penalties never shrink as time passes
