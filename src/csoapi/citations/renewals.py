"""A parking permit's renewal, paid through the one payments road: a ``Payment`` whose
target is the permit, posted under the permit's row lock, for exactly the renewal fee the
permits' fee schedule sets (``permits/fees.json``); the permit's validity then runs on by
its kind's renewal days. The portal's exact replay is the carrier's Idempotency-Key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from csoapi.citations.models import Payment
from csoapi.citations.payments import PAYMENT_EVENT_SCOPE
from csoapi.citations.payments_repository import PaymentRepository
from csoapi.citations.schemas import PaymentCreate
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Changes, Event
from csoapi.permits import rules
from csoapi.permits.models import Permit
from csoapi.permits.repository import PermitRepository
from csoapi.permits.schemas import PortalPermit
from csoapi.permits.service import PERMIT, portal_view, renewal_now


class RenewalService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.tz = ctx.settings.tz
        self.permits = PermitRepository(session)
        self.payments = PaymentRepository(session)
        self.changes = Changes(
            session, ctx, PERMIT, lock=lambda k: self.permits.get_or_404(k, for_update=True)
        )

    def renew(self, permit_id: uuid.UUID, data: PaymentCreate) -> tuple[Permit, Payment]:
        change = self.changes.begin(permit_id)  # serializes two payers of one renewal
        p, now = change.row, utcnow()
        terms = self._terms(p, now)
        if data.amount_cents != terms.fee.fee_cents:
            raise Unprocessable(
                f"The renewal costs {terms.fee.fee_cents} cents, not {data.amount_cents}",
                code="wrong_amount",
                field="amount_cents",
                fee_cents=terms.fee.fee_cents,
            )
        before = p.valid_to
        p.valid_to = terms.valid_to
        p.ends_at = rules.span(p.valid_from, p.valid_to, self.tz)[1]
        clash = self.permits.overlapping(p)
        if clash is not None:
            raise Conflict(
                f"Permit {clash.number} already covers this vehicle in zone {p.zone} on some "
                "of the renewed days",
                code="permit_overlaps",
                permit_id=str(clash.id),
            )
        payment = self._payment(p, data, now)
        self.payments.add(payment, flush=False)
        change.done(
            "permit.renew",
            detail={
                "payment_id": str(payment.id),
                "amount_cents": payment.amount_cents,
                "fee_rule": terms.fee.rule,
                "valid_to_before": before.isoformat(),
                "valid_to": p.valid_to.isoformat(),
            },
            events=[Event("permit.renewed"), _payment_event(payment, p)],
        )
        return p, payment

    def _terms(self, p: Permit, now: datetime) -> rules.Renewal:
        if p.state == "revoked":
            raise Conflict("A revoked permit is not renewed", code="permit_revoked")
        terms = renewal_now(p, now, self.tz)
        if terms is not None:
            return terms
        if rules.renewal_of(p.kind, p.valid_to) is None:
            raise Conflict(
                f"A {p.kind} permit is not renewed through a payment portal",
                code="permit_not_renewable",
            )
        raise Conflict(
            "The permit ended too long ago to be renewed; apply for a new one",
            code="permit_renewal_lapsed",
            valid_to=p.valid_to.isoformat(),
        )

    def _payment(self, p: Permit, data: PaymentCreate, now: datetime) -> Payment:
        paid_at = now
        if data.paid_at is not None:
            paid_at = refuse_implausible(data.paid_at, "paid_at", now)
            if paid_at < p.created_at:
                raise Unprocessable(
                    "'paid_at' is before the permit was issued",
                    code="paid_before_issue",
                    field="paid_at",
                )
        actor = self.ctx.actor
        return Payment(
            permit_id=p.id,
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

    def view(self, p: Permit) -> PortalPermit:
        return portal_view(p, utcnow(), self.tz)


def _payment_event(pay: Payment, p: Permit) -> Event:
    return Event(
        "payment.posted",
        entity_type="payment",
        entity_id=pay.id,
        read_scope=PAYMENT_EVENT_SCOPE,
        payload={
            "id": str(pay.id),
            "permit_id": str(p.id),
            "permit_number": p.number,
            "kind": pay.kind,
            "amount_cents": pay.amount_cents,
            "method": pay.method,
            "reverses_id": None,
        },
    )
