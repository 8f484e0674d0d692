"""Money movements: portal lookup, payments (row-locked, never above the balance), reversals
and the reconciliation listing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from csoapi.citations import money
from csoapi.citations.balances import PAYABLE_STATES, Balances, terms_of
from csoapi.citations.changes import citation_changes
from csoapi.citations.models import Citation, Payment
from csoapi.citations.owed import owed
from csoapi.citations.payments_repository import PaymentRepository, PaymentWindow
from csoapi.citations.repository import CitationRepository
from csoapi.citations.schemas import PaymentCreate, PaymentTotals, PortalCitation, ReverseBody
from csoapi.citations.views import portal_view
from csoapi.core import audit, ratelimit
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Event
from csoapi.core.scopes import Role

__all__ = ["PaymentService", "PaymentWindow"]
PAYMENT_EVENT_SCOPE = "payments:read"
SETTLED = ("paid", "void", "dismissed")  # nothing is owed


class PaymentService:
    """Money in and out of citations: it reads their balances (``Balances``) and changes
    them only by posting or reversing payments, never by issuing or voiding."""

    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.tz = ctx.settings.tz
        self.repo = CitationRepository(session)
        self.balances = Balances(self.repo, self.tz)
        self.changes = citation_changes(session, ctx, self.repo)
        self.payment_repo = PaymentRepository(session)

    # -- the portal -----------------------------------------------------------------------
    def lookup(
        self, *, number: str | None, plate: str | None, plate_state: str | None
    ) -> list[PortalCitation]:
        actor = self.ctx.actor
        if number is None and (plate is None or plate_state is None):
            raise Unprocessable(
                "Look up by number, or by plate and plate_state", code="lookup_needs_key"
            )
        # The audit row and the rate count, the lookup's only writes, go in one round trip.
        with (
            self.repo.together(),
            ratelimit.limited(
                self.session,
                f"lookup:{actor.kind}:{actor.id}",
                self.ctx.settings.lookup_rate_per_minute,
            ),
        ):
            owing = owed(
                self.repo, self.balances, number=number, plate=plate, plate_state=plate_state
            )
            views = [portal_view(o.citation, o.breakdown, o.status) for o in owing]
            audit.record(
                self.session,
                self.ctx,
                "citation.lookup",
                entity_type="citation",
                detail={"by": "number" if number else "plate", "found": len(views)},
            )
        return views

    def _visible_to(self, c: Citation) -> bool:
        """A portal only ever sees (and pays) citations its lookup would show."""
        actor = self.ctx.actor
        return actor.is_user or (c.kind == "citation" and c.state in PAYABLE_STATES)

    # -- payments -------------------------------------------------------------------------
    def pay(self, citation_id: uuid.UUID, data: PaymentCreate) -> tuple[Citation, Payment, int]:
        """The citation, the payment, and what is still owed after it (as of the posting,
        under the row lock: what the next payer will be held to, penalties to come aside)."""
        change = self.changes.begin(citation_id)  # the row lock that serializes payers
        c = change.row
        if c.kind == "citation" and c.state in SETTLED:
            # Said to a portal too (it may hold the id from a lookup made before another
            # payer settled it): what happened, not a 404.
            raise Conflict(
                f"The citation is {c.state}; nothing is owed",
                code=f"citation_{c.state}",
                balance_cents=0,
            )
        if not self._visible_to(c):
            raise NotFound("No such citation", code="citation_not_found")
        if c.kind == "warning":
            raise Conflict("A warning has nothing to pay", code="citation_is_warning")
        # Taken under the row lock: the posting, which is what the payment counts from.
        now = utcnow()
        paid_at = self._paid_at(c, data.paid_at, now)
        posted_on = now.astimezone(self.tz).date()
        terms = terms_of(c, self.balances.payments([c.id])[c.id], self.tz)
        balance = money.amount_due(terms, posted_on).balance_cents
        if money.overpayment_cents(terms, data.amount_cents, posted_on):
            raise Unprocessable(
                f"The payment ({data.amount_cents} cents) exceeds the balance ({balance} cents)",
                code="overpayment",
                balance_cents=balance,
            )
        actor = self.ctx.actor
        payment = Payment(
            citation_id=c.id,
            kind="payment",
            amount_cents=data.amount_cents,
            method=data.method.value,
            reference=data.reference,
            paid_at=paid_at,
            paid_on=paid_at.astimezone(self.tz).date(),
            posted_at=now,
            posted_by=f"{actor.kind}:{actor.name}"[:80],
            user_id=actor.id if actor.is_user else None,
            client_id=None if actor.is_user else actor.id,
        )
        self.payment_repo.add(payment, flush=False)
        c.paid_cents += data.amount_cents
        if data.amount_cents == balance and c.state in ("open", "collections"):
            c.state = "paid"
        posted = [_payment_event("payment.posted", payment, c)]
        if c.state == "paid":
            posted.append(Event("citation.paid"))
        change.done(
            "payment.post",
            detail={"payment_id": str(payment.id), "amount_cents": payment.amount_cents},
            events=posted,
        )
        return c, payment, balance - data.amount_cents

    @staticmethod
    def _paid_at(c: Citation, stated: datetime | None, now: datetime) -> datetime:
        """When the payer says it paid (now, when it says nothing). It moves no money (a
        payment counts from its posting), but it must be a time the payment could have been
        made: not in the future, not before the citation was issued."""
        if stated is None:
            return now
        refuse_implausible(stated, "paid_at", now)
        if stated < c.issued_at:
            raise Unprocessable(
                "'paid_at' is before the citation was issued",
                code="paid_before_issue",
                field="paid_at",
                issued_at=c.issued_at.isoformat(),
            )
        return stated

    def listed(self, action: str, filters: dict[str, Any], count: int) -> None:
        """A listing or export of payments as one audit row: who, the window and paging,
        how many rows."""
        audit.record_list(
            self.session, self.ctx, action, entity_type="payment", filters=filters, count=count
        )

    def reverse(self, payment_id: uuid.UUID, data: ReverseBody) -> Payment:
        actor = self.ctx.actor
        if not (actor.is_user and actor.role == Role.records):
            raise Forbidden("Only records staff reverse payments", code="records_only")
        original = self.payment_repo.find(payment_id)
        if original is None:
            raise NotFound("No such payment", code="payment_not_found")
        if original.citation_id is None:
            # A renewal's payment bought days the permit may already have been good on.
            raise Conflict(
                "A permit renewal's payment is not reversed; revoke the permit and refund "
                "outside csoapi",
                code="renewal_not_reversible",
            )
        change = self.changes.begin(original.citation_id)
        c = change.row
        if original.kind != "payment":
            raise Conflict("A reversal cannot itself be reversed", code="not_a_payment")
        if self.payment_repo.is_reversed(original.id):
            raise Conflict("This payment has already been reversed", code="already_reversed")
        now = utcnow()
        reversal = Payment(
            citation_id=c.id,
            kind="reversal",
            amount_cents=original.amount_cents,
            method=original.method,
            reference=original.reference,
            paid_at=now,
            paid_on=now.astimezone(self.tz).date(),
            posted_at=now,
            posted_by=f"{actor.kind}:{actor.name}"[:80],
            user_id=actor.id,
            reverses_id=original.id,
            reason=data.reason,
        )
        self.payment_repo.add(reversal, flush=False)
        c.paid_cents -= original.amount_cents
        if c.state == "paid":
            c.state = "open"
        change.done(
            "payment.reverse",
            detail={"payment_id": str(original.id), "reversal_id": str(reversal.id)},
            events=[_payment_event("payment.reversed", reversal, c)],
        )
        return reversal

    # -- reconciliation -------------------------------------------------------------------
    def _client_of_window(self) -> uuid.UUID | None:
        """Whose payments the caller's reconciliation shows: a portal sees its own (its
        id); staff with payments:read see every payment (None)."""
        actor = self.ctx.actor
        if not actor.is_user:
            return actor.id
        if not actor.has("payments:read"):
            raise Forbidden("This listing needs payments:read", code="insufficient_scope")
        return None

    def payment(self, payment_id: uuid.UUID) -> Payment:
        """One payment or reversal (where a posting's ``Location`` points): records staff
        see any, a portal its own; anything else is a 404."""
        found = self.payment_repo.get(payment_id)
        owner = self._client_of_window()
        if found is None or (owner is not None and found.client_id != owner):
            raise NotFound("No such payment", code="payment_not_found")
        audit.record(
            self.session, self.ctx, "payment.read", entity_type="payment", entity_id=found.id
        )
        return found

    def payments_page(self, w: PaymentWindow, *, limit: int, cursor: str | None):
        return self.payment_repo.page(w, self._client_of_window(), limit=limit, cursor=cursor)

    def all_in(self, w: PaymentWindow) -> list[Payment]:
        return self.payment_repo.all_in(w, self._client_of_window())

    def totals(self, w: PaymentWindow) -> PaymentTotals:
        by = self.payment_repo.totals(w, self._client_of_window())
        pay, rev = by.get("payment", (0, 0)), by.get("reversal", (0, 0))
        return PaymentTotals(
            payments=pay[0],
            payments_cents=pay[1],
            reversals=rev[0],
            reversals_cents=rev[1],
            net_cents=pay[1] - rev[1],
        )


def _payment_event(type_: str, p: Payment, c: Citation) -> Event:
    """An event about a payment (posted, reversed), read by reconciliation."""
    return Event(
        type_,
        entity_type="payment",
        entity_id=p.id,
        read_scope=PAYMENT_EVENT_SCOPE,
        payload={
            "id": str(p.id),
            "citation_id": str(c.id),
            "citation_number": c.number,
            "kind": p.kind,
            "amount_cents": p.amount_cents,
            "method": p.method,
            "reverses_id": str(p.reverses_id) if p.reverses_id else None,
        },
    )
