"""What an impound owes (the fee quote), the payments that pay it (immutable, integer
cents, never above the balance, reversals by records) and the payment portal's lookup.

Every payment and every release takes the impound's row lock first, so a payment racing a
release either lands before it (and the release counts it) or finds the vehicle released;
two payments can never together pay more than the balance."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from csoapi.citations.schemas import PaymentCreate, ReverseBody
from csoapi.core import audit, ratelimit
from csoapi.core.clock import EARLIEST_RECORD, refuse_implausible, to_utc
from csoapi.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Event
from csoapi.core.scopes import Role
from csoapi.impounds import fees
from csoapi.impounds.models import Impound, ImpoundPayment
from csoapi.impounds.rates import rates_from
from csoapi.impounds.schemas import FeeLine, FeeQuote, PortalImpound
from csoapi.impounds.service import ImpoundBase

PAYMENT_EVENT_SCOPE = "payments:read"
# A quote may look ahead (what pickup next week will cost), not for ever.
LONGEST_QUOTE = timedelta(days=366)


def terms_of(i: Impound, band: str | None) -> fees.Terms | None:
    if i.towed_at is None:
        return None
    steps: dict[str, datetime] = {}
    for s in i.steps:
        at = datetime.fromisoformat(s["at"])
        steps[s["step"]] = min(at, steps.get(s["step"], at))
    return fees.Terms(
        towed_at=i.towed_at,
        tow_cents=i.tow_cents,
        daily_storage_cents=i.daily_storage_cents,
        admin_fee_cents=i.admin_fee_cents,
        lien_fee_cents=i.lien_fee_cents,
        value_cents=i.value_cents,
        value_band=band,
        steps=steps,
        waived=i.hearing_outcome == "invalid",
        ended_at=i.released_at or i.disposed_at,
    )


class FeeService(ImpoundBase):
    def lines(self, i: Impound, as_of: datetime) -> list[fees.Line]:
        if i.source != "field":  # imported history: its fees are not in the source
            return []
        r = self.reckoner(i)
        band = None if i.value_cents is None else r.pack.value_bands.band_of(i.value_cents)
        t = terms_of(i, band)
        if t is None:
            return []
        return fees.quote(fees.fee_pack_for(i.jurisdiction), t, as_of, self.ctx.settings.tz)

    def balance(self, i: Impound, as_of: datetime) -> int:
        return max(fees.total(self.lines(i, as_of)) - i.paid_cents, 0)

    def quote(self, impound_id: uuid.UUID, as_of: datetime | None) -> FeeQuote:
        i = self.get(impound_id)
        at = to_utc(as_of) if as_of is not None else utcnow()
        if not EARLIEST_RECORD <= at <= utcnow() + LONGEST_QUOTE:
            raise Unprocessable(
                f"'as_of' must be between {EARLIEST_RECORD.year} and {LONGEST_QUOTE.days} days "
                "from now",
                code="as_of_out_of_range",
                field="as_of",
            )
        lines = self.lines(i, at)
        total = fees.total(lines)
        return FeeQuote(
            impound_id=i.id,
            as_of=at,
            lines=[_line(line) for line in lines],
            total_cents=total,
            paid_cents=i.paid_cents,
            balance_cents=max(total - i.paid_cents, 0),
        )

    # -- payments -------------------------------------------------------------------------
    def payments(self, impound_id: uuid.UUID) -> list[ImpoundPayment]:
        return self.repo.payments_of(self.get(impound_id).id)

    def pay(self, impound_id: uuid.UUID, data: PaymentCreate) -> ImpoundPayment:
        change = self.changes.begin(impound_id)  # the row lock that serializes payers
        i, now = change.row, utcnow()
        if i.status != "stored":
            raise Conflict(f"The impound is {i.status}: nothing to pay", code="impound_not_stored")
        balance = self.balance(i, now)
        if data.amount_cents > balance:
            raise Unprocessable(
                f"The payment ({data.amount_cents} cents) exceeds the balance ({balance} cents)",
                code="overpayment",
                balance_cents=balance,
            )
        paid_at = data.paid_at or now
        refuse_implausible(paid_at, "paid_at", now)
        actor = self.ctx.actor
        p = ImpoundPayment(
            impound_id=i.id,
            kind="payment",
            amount_cents=data.amount_cents,
            method=data.method.value,
            reference=data.reference,
            paid_at=paid_at,
            posted_at=now,
            posted_by=f"{actor.kind}:{actor.name}"[:80],
            user_id=actor.id if actor.is_user else None,
            client_id=None if actor.is_user else actor.id,
        )
        self.repo.add(p, flush=False)
        i.paid_cents += data.amount_cents
        extra = {"amount_cents": p.amount_cents, "balance_cents": balance - p.amount_cents}
        change.done(
            "impound.payment",
            detail={"payment_id": str(p.id)} | extra,
            events=[Event("impound.paid", extra), _payment_event("payment.posted", p, i)],
        )
        return p

    def reverse(self, impound_id: uuid.UUID, payment_id: uuid.UUID, data: ReverseBody):
        actor = self.ctx.actor
        if not (actor.is_user and actor.role == Role.records):
            raise Forbidden("Only records staff reverse payments", code="records_only")
        change = self.changes.begin(impound_id)
        i = change.row
        original = self.repo.payment(i.id, payment_id)
        if original is None:
            raise NotFound("No such payment", code="payment_not_found")
        if original.kind != "payment":
            raise Conflict("A reversal cannot itself be reversed", code="not_a_payment")
        if self.repo.is_reversed(original.id):
            raise Conflict("This payment has already been reversed", code="already_reversed")
        now = utcnow()
        reversal = ImpoundPayment(
            impound_id=i.id,
            kind="reversal",
            amount_cents=original.amount_cents,
            method=original.method,
            reference=original.reference,
            paid_at=now,
            posted_at=now,
            posted_by=f"{actor.kind}:{actor.name}"[:80],
            user_id=actor.id,
            reverses_id=original.id,
            reason=data.reason,
        )
        self.repo.add(reversal, flush=False)
        i.paid_cents -= original.amount_cents
        change.done(
            "impound.payment_reverse",
            detail={"payment_id": str(original.id), "reversal_id": str(reversal.id)},
            events=[_payment_event("payment.reversed", reversal, i)],
        )
        return reversal

    # -- the payment portal ---------------------------------------------------------------
    def lookup(self, plate: str, plate_state: str) -> list[PortalImpound]:
        actor, now = self.ctx.actor, utcnow()
        rates = rates_from(self.ctx.settings.impound_rates_file)
        with ratelimit.limited(
            self.session,
            f"lookup:{actor.kind}:{actor.id}",
            self.ctx.settings.lookup_rate_per_minute,
        ):
            found = self.repo.held_for_plate(plate, plate_state)
            audit.record(
                self.session,
                self.ctx,
                "impound.lookup",
                entity_type="impound",
                detail={"found": len(found)},
            )
        return [
            PortalImpound(
                id=i.id,
                number=i.number,
                plate=i.plate,
                plate_state=i.plate_state,
                storage_lot=i.storage_lot,
                lot_address=rates.lot(i.storage_lot).address,
                lot_hours=rates.lot(i.storage_lot).hours,
                fees_due_cents=self.balance(i, now),
                what_to_bring=list(rates.what_to_bring),
            )
            for i in found
        ]


def _line(line: fees.Line) -> FeeLine:
    return FeeLine(
        code=line.code,  # type: ignore[arg-type]
        description=line.description,
        quantity=line.quantity,
        unit_cents=line.unit_cents,
        amount_cents=line.amount_cents,
        waived=line.waived,
        citation=line.citation,
        why=line.why,
    )


def _payment_event(type_: str, p: ImpoundPayment, i: Impound) -> Event:
    return Event(
        type_,
        entity_type="payment",
        entity_id=p.id,
        read_scope=PAYMENT_EVENT_SCOPE,
        payload={
            "id": str(p.id),
            "impound_id": str(i.id),
            "impound_number": i.number,
            "kind": p.kind,
            "amount_cents": p.amount_cents,
            "method": p.method,
            "reverses_id": str(p.reverses_id) if p.reverses_id else None,
        },
    )
