"""What a citation owes, as of a day: one pure function of its snapshot and its history.

All amounts are integer cents. Days are agency-local calendar days. A penalty tier applies
from ``issued_on + after_days`` (its accrual day), shifted later by every contest that began
before that day (by the contest's length; an open contest holds it off), and, when an
upheld decision resets the clock, counted from the decision day instead. A tier applies only
if the citation was not paid up the day before its accrual day. Reductions lower what is
owed; the API never lets them go below what is already paid.

A payment (or a reversal) counts from the day it was *posted*: the day we took it. The date
a payer says it paid is its statement, kept with the payment for reconciliation, and it moves
no money: were it to count, a payment "made" before a tier came due would take back a penalty
that had accrued before it was posted, and leave more paid than is owed. Counted from its
posting, nothing posted later changes what was owed on any earlier day: a penalty accrued
when a payment is posted stays, and a payment that fits the balance on its posting day fits
on every day after (``overpayment_cents``), since penalties only accrue. A reversal is the
same: from its day on, the money is unpaid again and later tiers apply; a tier that came due
while the citation was paid up stays waived. Adjudication is a decision about the terms
(``reduced_to_cents``, ``clock_from``, ``dismissed``), not a posting: it is meant to change
what is owed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Tier:
    after_days: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Payment:
    posted_on: date  # the day it was posted, which is when it counts (never the payer's date)
    amount_cents: int  # negative for a reversal


@dataclass(frozen=True, slots=True)
class Pause:
    start: date
    end: date | None  # None: still contested


@dataclass(frozen=True, slots=True)
class Terms:
    """The citation's snapshot and everything that happened to it that moves money."""

    fine_cents: int
    tiers: tuple[Tier, ...]
    issued_on: date
    payments: tuple[Payment, ...] = ()
    pauses: tuple[Pause, ...] = ()
    clock_from: date | None = None  # set by an upheld decision that resets the clock
    reduced_to_cents: int | None = None
    dismissed: bool = False
    warning: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # fine, penalty, payment, reversal, reduction
    amount_cents: int  # positive adds to what is owed, negative takes from it
    on: date
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Breakdown:
    fine_cents: int
    penalties_cents: int
    reductions_cents: int
    paid_cents: int
    balance_cents: int
    lines: tuple[Line, ...] = field(default=())


def accrual_day(terms: Terms, after_days: int) -> date | None:
    """The day a tier (or the due date) comes, or None while a contest holds it off.
    It does not depend on the day you ask: penalties only ever grow with time."""
    day = (terms.clock_from or terms.issued_on) + timedelta(days=after_days)
    for pause in sorted(terms.pauses, key=lambda p: p.start):
        if pause.start >= day:
            break
        if pause.end is None:
            return None
        day += timedelta(days=max((pause.end - pause.start).days, 0))
    return day


def _paid_by(terms: Terms, day: date) -> int:
    return sum(p.amount_cents for p in terms.payments if p.posted_on <= day)


def due_on(terms: Terms, default_days: int = 21) -> date | None:
    return accrual_day(terms, min((t.after_days for t in terms.tiers), default=default_days))


def amount_due(terms: Terms, as_of: date) -> Breakdown:
    if terms.warning:
        return Breakdown(0, 0, 0, 0, 0, ())
    lines: list[Line] = [Line("fine", terms.fine_cents, terms.issued_on)]
    paid = _paid_by(terms, as_of)
    lines += [
        Line("payment" if p.amount_cents >= 0 else "reversal", -p.amount_cents, p.posted_on)
        for p in sorted(terms.payments, key=lambda p: p.posted_on)
        if p.posted_on <= as_of
    ]
    if terms.dismissed:
        reduction = terms.fine_cents - paid
        if reduction:
            lines.append(Line("reduction", -reduction, as_of, "dismissed"))
        return Breakdown(terms.fine_cents, 0, reduction, paid, 0, tuple(lines))
    reductions = 0
    if terms.reduced_to_cents is not None:
        reductions = terms.fine_cents - max(terms.reduced_to_cents, 0)
        lines.append(Line("reduction", -reductions, as_of, "reduced on adjudication"))
    owed = terms.fine_cents - reductions
    penalties = 0
    for tier in sorted(terms.tiers, key=lambda t: t.after_days):
        day = accrual_day(terms, tier.after_days)
        if day is None or day > as_of:
            continue
        if _paid_by(terms, day - timedelta(days=1)) >= owed + penalties:
            continue  # paid up the day before this tier came due: it does not apply
        penalties += tier.amount_cents
        lines.append(Line("penalty", tier.amount_cents, day, f"after {tier.after_days} days"))
    balance = owed + penalties - paid
    return Breakdown(
        fine_cents=terms.fine_cents,
        penalties_cents=penalties,
        reductions_cents=reductions,
        paid_cents=paid,
        balance_cents=max(balance, 0),
        lines=tuple(lines),
    )


def overpayment_cents(terms: Terms, amount_cents: int, posted_on: date) -> int:
    """By how much a payment of ``amount_cents`` posted on ``posted_on`` would take what is
    paid past what is owed (0: it fits). Judged with the payment in the history, as of its
    posting day: what is owed only grows after that day, so a payment that fits then fits on
    every later day. Nothing is owed on a warning or a dismissed citation."""
    if terms.warning or terms.dismissed:
        return amount_cents
    after = amount_due(
        replace(terms, payments=(*terms.payments, Payment(posted_on, amount_cents))), posted_on
    )
    owed = after.fine_cents + after.penalties_cents - after.reductions_cents
    return max(after.paid_cents - owed, 0)
