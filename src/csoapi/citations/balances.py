"""What a citation owes and how it stands, from its row and its payments: the rules every
citation service reads balances by (the arithmetic itself is ``money``'s), and ``Balances``,
the helper that applies them as of one day."""

from __future__ import annotations

import uuid
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from csoapi.citations import money, views
from csoapi.citations.models import Citation
from csoapi.citations.schemas import CitationRead, CitationStatus, PortalCitation
from csoapi.core.models import utcnow

if TYPE_CHECKING:
    from csoapi.citations.repository import CitationRepository

DEFAULT_DUE_DAYS = 21
# The states in which a citation can still owe money: what a portal sees and may pay, what
# the balance filter scans, and what a plate owes.
PAYABLE_STATES = ("open", "contested", "collections")


class PaymentLine(Protocol):
    """What a balance reads of a payment: a row of ``CitationRepository.payments_of`` (or
    a ``Payment``). Its ``posted_at``, not the payer's ``paid_at``, is when it counts (see
    ``money``)."""

    @property
    def kind(self) -> str: ...
    @property
    def posted_at(self) -> datetime: ...
    @property
    def amount_cents(self) -> int: ...


def tiers_of(penalties: list[dict[str, Any]]) -> tuple[money.Tier, ...]:
    """Stored penalty tiers (JSON) as the money function reads them."""
    return tuple(money.Tier(t["after_days"], t["amount_cents"]) for t in penalties)


def terms_of(c: Citation, payments: list[PaymentLine], tz: tzinfo) -> money.Terms:
    """The money terms of ``c``; a payment counts from its posting day in ``tz`` (the
    agency's)."""
    return money.Terms(
        fine_cents=c.fine_cents,
        tiers=tiers_of(c.penalty_tiers),
        issued_on=c.issued_on,
        payments=tuple(
            money.Payment(
                p.posted_at.astimezone(tz).date(),
                p.amount_cents if p.kind == "payment" else -p.amount_cents,
            )
            for p in payments
        ),
        pauses=tuple(
            money.Pause(
                date.fromisoformat(p["start"]),
                date.fromisoformat(p["end"]) if p.get("end") else None,
            )
            for p in c.pauses
        ),
        clock_from=c.clock_from,
        reduced_to_cents=c.reduced_to_cents if c.adjudication == "reduced" else None,
        dismissed=c.state == "dismissed",
        warning=c.kind == "warning",
    )


def status_of(c: Citation, balance_cents: int, today: date) -> CitationStatus:
    if c.kind == "warning":
        return CitationStatus.warning
    if c.state in ("void", "dismissed", "contested"):
        return CitationStatus(c.state)
    if balance_cents == 0:
        return CitationStatus.paid
    if c.state == "collections":
        return CitationStatus.collections
    if c.due_date is not None and today > c.due_date:
        return CitationStatus.overdue
    return CitationStatus.open


class Balances:
    """What citations owe as of the agency's today, and the views that show it: the one
    helper every citation service is given (one per service, and a service lives for one
    request), so that every balance and status in one answer is as of the same day."""

    def __init__(self, repo: CitationRepository, tz: tzinfo) -> None:
        self.repo = repo
        self.tz = tz
        self._today: date | None = None

    def today(self) -> date:
        """The agency's date, taken once."""
        if self._today is None:
            self._today = utcnow().astimezone(self.tz).date()
        return self._today

    def payments(self, citation_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PaymentLine]]:
        return self.repo.payments_of(citation_ids)

    def breakdown(self, c: Any, payments: list[PaymentLine] | None = None) -> money.Breakdown:
        """What ``c`` owes today, line by line (its payments read when not given)."""
        if payments is None:
            payments = self.payments([c.id])[c.id]
        return money.amount_due(terms_of(c, payments, self.tz), self.today())

    def status(self, c: Any, payments: list[PaymentLine] | None = None) -> CitationStatus:
        return status_of(c, self.breakdown(c, payments).balance_cents, self.today())

    def officer_view(self, c: Citation, payments: list[PaymentLine] | None = None) -> CitationRead:
        b = self.breakdown(c, payments)
        return views.officer_view(c, b, status_of(c, b.balance_cents, self.today()))

    def portal_view(self, c: Any, b: money.Breakdown) -> PortalCitation:
        return views.portal_view(c, b, status_of(c, b.balance_cents, self.today()))
