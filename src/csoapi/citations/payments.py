"""Money movements: portal lookup, payments (row-locked, never above the balance), reversals
and the reconciliation listing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from csoapi.citations import money
from csoapi.citations.models import Citation, Payment
from csoapi.citations.schemas import PaymentCreate, PaymentTotals, PortalCitation, ReverseBody
from csoapi.citations.service import PAYABLE_STATES, CitationService, terms_of
from csoapi.core import audit, events, ratelimit, writes
from csoapi.core.clock import refuse_implausible
from csoapi.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.pagination import SortKey, keyset_page
from csoapi.core.scopes import Role

PAYMENT_KEYS = (
    SortKey(Payment.posted_at, "datetime", lambda p: p.posted_at),
    SortKey(Payment.id, "uuid", lambda p: p.id),
)
PAYMENT_EVENT_SCOPE = "payments:read"

# The portal's two lookups, built once (the hot path binds parameters, builds nothing). They
# read plain rows, not ORM objects: the balance and the portal view only read attributes, and
# a lookup changes nothing, so identity-map bookkeeping would be work for no one. A row has
# the attribute names of a Citation (the columns the balance, the status and the portal view
# read: _PORTAL_READS), and its payments come joined on.
_CITATIONS = Citation.__table__  # type: ignore[attr-defined]
_PORTAL_READS = (
    "id", "number", "kind", "state", "plate", "plate_state", "location", "issued_at",
    "issued_on", "due_date", "violation_code", "violation_description", "fine_cents",
    "penalty_tiers", "pauses", "clock_from", "adjudication", "reduced_to_cents",
)  # fmt: skip
_PAYABLE = sa.select(*(_CITATIONS.c[name] for name in _PORTAL_READS)).where(
    _CITATIONS.c.kind == "citation",
    # Written into the SQL (the states are our own constants): a list of values would be an
    # "expanding" parameter, re-rendered into the statement on every execution.
    _CITATIONS.c.state.in_([sa.literal_column(f"'{s}'") for s in PAYABLE_STATES]),
)
_PAYMENTS = Payment.__table__  # type: ignore[attr-defined]


def _with_payments(found: sa.Select[Any]) -> sa.Select[Any]:
    """The citations ``found`` (at most 200), each with its payments joined on: one round
    trip instead of two. A citation with n payments comes as n rows (one row, ``pay_kind``
    NULL, with none), in issue order, payments in posting order."""
    c = found.order_by(_CITATIONS.c.issued_at).limit(200).subquery("c")
    p = _PAYMENTS
    return (
        sa.select(
            c,
            p.c.kind.label("pay_kind"),
            p.c.posted_at.label("pay_posted_at"),
            p.c.amount_cents.label("pay_cents"),
        )
        .select_from(c.outerjoin(p, p.c.citation_id == c.c.id))
        .order_by(c.c.issued_at, c.c.id, p.c.posted_at)
    )


_BY_NUMBER = _with_payments(_PAYABLE.where(_CITATIONS.c.number == sa.bindparam("number")))
_BY_PLATE = _with_payments(
    _PAYABLE.where(
        _CITATIONS.c.plate == sa.bindparam("plate"),
        _CITATIONS.c.plate_state == sa.bindparam("state"),
    )
)


class _Paid(NamedTuple):
    """A payment as a balance reads it (a ``PaymentLine``), from a lookup row."""

    kind: str
    posted_at: datetime
    amount_cents: int


def _grouped(rows: Sequence[sa.Row[Any]]) -> list[tuple[sa.Row[Any], list[_Paid]]]:
    """Lookup rows back into citations, each with its payments."""
    out: list[tuple[sa.Row[Any], list[_Paid]]] = []
    for row in rows:
        if not out or out[-1][0].id != row.id:
            out.append((row, []))
        if row.pay_kind is not None:
            out[-1][1].append(_Paid(row.pay_kind, row.pay_posted_at, row.pay_cents))
    return out


@dataclass(frozen=True, slots=True)
class PaymentWindow:
    posted_from: datetime | None
    posted_to: datetime | None


class PaymentService(CitationService):
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
            writes.together(self.session),
            ratelimit.limited(
                self.session,
                f"lookup:{actor.kind}:{actor.id}",
                self.ctx.settings.lookup_rate_per_minute,
            ),
        ):
            conn = self.session.connection()
            if number is not None:
                rows = conn.execute(_BY_NUMBER, {"number": number}).all()
            else:
                rows = conn.execute(_BY_PLATE, {"plate": plate, "state": plate_state}).all()
            views = []
            for c, paid in _grouped(rows):
                b = self.breakdown(c, paid)
                if b.balance_cents > 0:
                    views.append(self.portal_view(c, b))
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
    def pay(self, citation_id: uuid.UUID, data: PaymentCreate) -> tuple[Citation, Payment]:
        c = self.get(citation_id, for_update=True)  # the row lock that serializes payers
        if not self._visible_to(c):
            raise NotFound("No such citation", code="citation_not_found")
        if c.kind == "warning":
            raise Conflict("A warning has nothing to pay", code="citation_is_warning")
        if c.state in ("void", "dismissed"):
            raise Conflict(
                f"The citation is {c.state}; nothing is owed", code=f"citation_{c.state}"
            )
        # Taken under the row lock: the posting, which is what the payment counts from.
        now = utcnow()
        paid_at = self._paid_at(c, data.paid_at, now)
        posted_on = now.astimezone(self.tz).date()
        terms = terms_of(c, self.payments([c.id])[c.id], self.tz)
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
        self.session.add(payment)
        c.paid_cents += data.amount_cents
        if data.amount_cents == balance and c.state in ("open", "collections"):
            c.state = "paid"
        c.touch()
        self.session.flush()
        audit.record(
            self.session,
            self.ctx,
            "payment.post",
            entity_type="citation",
            entity_id=c.id,
            detail={"payment_id": str(payment.id), "amount_cents": payment.amount_cents},
        )
        self._payment_event("payment.posted", payment, c)
        if c.state == "paid":
            self.event("citation.paid", c)
        return c, payment

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
        original = self.session.get(Payment, payment_id)
        if original is None:
            raise NotFound("No such payment", code="payment_not_found")
        c = self.get(original.citation_id, for_update=True)
        if original.kind != "payment":
            raise Conflict("A reversal cannot itself be reversed", code="not_a_payment")
        done = self.session.scalar(sa.select(sa.exists().where(Payment.reverses_id == original.id)))
        if done:
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
        self.session.add(reversal)
        c.paid_cents -= original.amount_cents
        if c.state == "paid":
            c.state = "open"
        c.touch()
        self.session.flush()
        audit.record(
            self.session,
            self.ctx,
            "payment.reverse",
            entity_type="citation",
            entity_id=c.id,
            detail={"payment_id": str(original.id), "reversal_id": str(reversal.id)},
        )
        self._payment_event("payment.reversed", reversal, c)
        return reversal

    # -- reconciliation -------------------------------------------------------------------
    def _window(self, w: PaymentWindow) -> sa.Select:
        stmt = sa.select(Payment)
        actor = self.ctx.actor
        if not actor.is_user:
            stmt = stmt.where(Payment.client_id == actor.id)  # a portal sees its own
        elif not actor.has("payments:read"):
            raise Forbidden("This listing needs payments:read", code="insufficient_scope")
        if w.posted_from is not None:
            stmt = stmt.where(Payment.posted_at >= w.posted_from)
        if w.posted_to is not None:
            stmt = stmt.where(Payment.posted_at < w.posted_to)
        return stmt

    def payments_page(self, w: PaymentWindow, *, limit: int, cursor: str | None):
        return keyset_page(
            self.session,
            self._window(w),
            tag="payments",
            keys=PAYMENT_KEYS,
            limit=limit,
            cursor=cursor,
        )

    def all_in(self, w: PaymentWindow) -> list[Payment]:
        return list(
            self.session.scalars(self._window(w).order_by(Payment.posted_at, Payment.id)).all()
        )

    def totals(self, w: PaymentWindow) -> PaymentTotals:
        sub = self._window(w).subquery()
        rows = self.session.execute(
            sa.select(
                sub.c.kind, sa.func.count(), sa.func.coalesce(sa.func.sum(sub.c.amount_cents), 0)
            ).group_by(sub.c.kind)
        ).all()
        by = {kind: (int(n), int(total)) for kind, n, total in rows}
        pay, rev = by.get("payment", (0, 0)), by.get("reversal", (0, 0))
        return PaymentTotals(
            payments=pay[0],
            payments_cents=pay[1],
            reversals=rev[0],
            reversals_cents=rev[1],
            net_cents=pay[1] - rev[1],
        )

    def _payment_event(self, type_: str, p: Payment, c: Citation) -> None:
        events.append(
            self.session,
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
