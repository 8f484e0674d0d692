"""The money rules, unit by unit and as properties over many histories."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from csoapi.citations.money import (
    Pause,
    Payment,
    Terms,
    Tier,
    accrual_day,
    amount_due,
    due_on,
    overpayment_cents,
)

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


def test_a_payment_counts_from_its_posting_and_takes_no_accrued_penalty_back():
    # The outside tester's case: 60 days after issue, the shown balance is paid. Whatever day
    # the payer puts on it, it is posted on day 60, when both tiers have accrued.
    t = Terms(fine_cents=6300, tiers=TIERS, issued_on=D0)
    day60 = D0 + timedelta(days=60)
    shown = amount_due(t, day60).balance_cents
    assert shown == 13800 and overpayment_cents(t, shown, day60) == 0
    paid = replace(t, payments=(Payment(day60, shown),))
    b = amount_due(paid, day60)
    assert (b.penalties_cents, b.paid_cents, b.balance_cents) == (7500, 13800, 0)
    assert [(ln.kind, ln.on) for ln in b.lines if ln.kind == "payment"] == [("payment", day60)]
    # One cent more does not fit, judged with the payment in the history.
    assert overpayment_cents(t, shown + 1, day60) == 1
    assert overpayment_cents(paid, 1, day60 + timedelta(days=365)) == 1


def test_nothing_fits_on_a_warning_or_a_dismissed_citation():
    assert overpayment_cents(Terms(0, (), D0, warning=True), 100, D0) == 100
    assert overpayment_cents(Terms(6300, TIERS, D0, dismissed=True), 100, D0) == 100


days = st.integers(min_value=0, max_value=400)


@st.composite
def snapshots(draw):
    """A citation's terms without payments: fine, tiers, maybe a contest, a reduction, a
    reset clock."""
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
    reset = draw(st.one_of(st.none(), days.map(lambda d: issued + timedelta(days=d))))
    return Terms(
        fine, tiers, issued, pauses=tuple(pauses), reduced_to_cents=reduced, clock_from=reset
    )


@st.composite
def histories(draw):
    """Postings in time order, as the API takes them: a payment no larger than the balance
    on its posting day (``overpayment_cents``), now and then a reversal of an earlier one."""
    terms = draw(snapshots())
    payments: list[Payment] = []
    reversible: list[Payment] = []
    for day in sorted(draw(st.lists(days, max_size=8))):
        on = terms.issued_on + timedelta(days=day)
        if reversible and draw(st.integers(0, 3)) == 0:
            original = reversible.pop(draw(st.integers(0, len(reversible) - 1)))
            payments.append(Payment(on, -original.amount_cents))
        else:
            terms_now = replace(terms, payments=tuple(payments))
            room = amount_due(terms_now, on).balance_cents
            if room == 0:
                continue
            amount = draw(st.integers(1, room))
            assert overpayment_cents(terms_now, amount, on) == 0
            payments.append(Payment(on, amount))
            reversible.append(payments[-1])
    return replace(terms, payments=tuple(payments))


@settings(max_examples=300, deadline=None)
@given(histories(), days, days)
def test_properties(terms, a, b):
    early, late = sorted((a, b))
    x = amount_due(terms, D0 + timedelta(days=early))
    y = amount_due(terms, D0 + timedelta(days=late))
    for bd in (x, y):
        assert bd.balance_cents >= 0
        # Nothing is ever paid beyond what is owed: the balance needs no clamp at 0.
        assert (
            bd.paid_cents + bd.balance_cents
            == bd.fine_cents + bd.penalties_cents - bd.reductions_cents
        )
        assert sum(line.amount_cents for line in bd.lines) == bd.balance_cents
    assert x.penalties_cents <= y.penalties_cents  # penalties never shrink as time passes


@settings(max_examples=300, deadline=None)
@given(histories(), days)
def test_what_is_posted_later_never_changes_an_earlier_day(terms, d):
    """A day's balance is settled by what was posted up to it: a payment or reversal posted
    later, dated by its payer however it likes, takes back no penalty accrued by then."""
    day = D0 + timedelta(days=d)
    so_far = replace(terms, payments=tuple(p for p in terms.payments if p.posted_on <= day))
    assert amount_due(terms, day) == amount_due(so_far, day)


@settings(max_examples=300, deadline=None)
@given(histories(), st.data())
def test_a_payment_is_judged_with_itself_in_the_history(terms, data):
    last = max((p.posted_on for p in terms.payments), default=D0)
    on = last + timedelta(days=data.draw(st.integers(0, 200), label="posted after the last"))
    before = amount_due(terms, on)
    amount = data.draw(st.integers(1, before.balance_cents + 1000), label="amount")
    assert overpayment_cents(terms, amount, on) == max(amount - before.balance_cents, 0)
    if amount > before.balance_cents:
        return
    after = replace(terms, payments=(*terms.payments, Payment(on, amount)))
    now = amount_due(after, on)
    assert now.penalties_cents == before.penalties_cents  # what had accrued stays
    assert now.balance_cents == before.balance_cents - amount
    later = on + timedelta(days=data.draw(days, label="days after"))
    b = amount_due(after, later)
    assert b.paid_cents <= b.fine_cents + b.penalties_cents - b.reductions_cents
