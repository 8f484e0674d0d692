"""What a plate owes: the one answer the portal lookup, the vehicle view and (next) impound
release all read.

A citation is owing when it can still owe money (``PAYABLE_STATES``: open, contested, in
collections; a warning never) and its balance today is above zero. The citations come with
their payments in one round trip, as plain rows with the columns the balance, the status
and the views read (``CitationRepository.payable_with_payments``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csoapi.citations import money
from csoapi.citations.balances import Balances, status_of
from csoapi.citations.repository import CitationRepository
from csoapi.citations.schemas import CitationStatus


@dataclass(frozen=True, slots=True)
class Owing:
    """One citation that owes, as of the answer's day."""

    citation: Any  # a row with a Citation's attribute names (the columns it was read with)
    breakdown: money.Breakdown
    status: CitationStatus

    @property
    def balance_cents(self) -> int:
        return self.breakdown.balance_cents


def owed(
    repo: CitationRepository,
    balances: Balances,
    *,
    number: str | None = None,
    plate: str | None = None,
    plate_state: str | None = None,
    capped: bool = True,
) -> list[Owing]:
    """The citations with ``number``, or of the plate, that owe something today, oldest
    first. ``capped``: the first ``PORTAL_CAP`` payable ones only (a portal's answer);
    a plate's record reads them all."""
    found = repo.payable_with_payments(
        number=number, plate=plate, plate_state=plate_state, capped=capped
    )
    today = balances.today()
    out = []
    for c, paid in found:
        b = balances.breakdown(c, paid)
        if b.balance_cents > 0:
            out.append(Owing(c, b, status_of(c, b.balance_cents, today)))
    return out
