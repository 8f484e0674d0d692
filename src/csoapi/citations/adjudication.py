"""Contests, adjudication (records) and referral of overdue balances to collections."""

from __future__ import annotations

import uuid

from csoapi.citations import money
from csoapi.citations.balances import DEFAULT_DUE_DAYS, status_of, terms_of
from csoapi.citations.models import Citation
from csoapi.citations.schemas import AdjudicateBody, CitationStatus, ContestBody
from csoapi.citations.service import CitationService
from csoapi.core import audit
from csoapi.core.concurrency import check_if_match
from csoapi.core.errors import Conflict, Unprocessable
from csoapi.core.models import utcnow


class AdjudicationService(CitationService):
    def contest(self, citation_id: uuid.UUID, data: ContestBody, if_match: str | None) -> Citation:
        c = self.get(citation_id, for_update=True)
        check_if_match(if_match, c.version, required=False)
        status = status_of(c, self.breakdown(c).balance_cents, self.today())
        if c.kind == "warning" or status not in (
            CitationStatus.open,
            CitationStatus.overdue,
            CitationStatus.collections,
        ):
            raise Conflict(f"A {status.value} citation cannot be contested", code="not_contestable")
        today = self.today()
        c.pauses = [*c.pauses, {"start": today.isoformat(), "end": None}]
        c.state, c.contested_on, c.contest_reason, c.due_date = (
            "contested",
            today,
            data.reason,
            None,
        )
        c.touch()
        audit.record(
            self.session, self.ctx, "citation.contest", entity_type="citation", entity_id=c.id
        )
        self.event("citation.contested", c)
        return c

    def adjudicate(
        self, citation_id: uuid.UUID, data: AdjudicateBody, if_match: str | None
    ) -> Citation:
        c = self.get(citation_id, for_update=True)
        check_if_match(if_match, c.version, required=False)
        if c.state != "contested":
            raise Conflict("Only a contested citation is adjudicated", code="not_contested")
        if data.outcome == "reduced":
            if data.reduced_to_cents is None:
                raise Unprocessable(
                    "A reduction needs reduced_to_cents",
                    code="reduced_amount_required",
                    field="reduced_to_cents",
                )
            if data.reduced_to_cents >= c.fine_cents:
                raise Unprocessable(
                    "reduced_to_cents must be below the fine",
                    code="not_a_reduction",
                    field="reduced_to_cents",
                )
            if data.reduced_to_cents < c.paid_cents:
                raise Unprocessable(
                    "reduced_to_cents cannot go below what is already paid",
                    code="below_paid",
                    field="reduced_to_cents",
                    paid_cents=c.paid_cents,
                )
        elif data.reduced_to_cents is not None:
            raise Unprocessable(
                "reduced_to_cents goes only with a reduction",
                code="not_a_reduction",
                field="reduced_to_cents",
            )
        today = self.today()
        c.pauses = [p if p.get("end") else {**p, "end": today.isoformat()} for p in c.pauses]
        c.adjudication, c.adjudication_reason = data.outcome, data.reason
        c.adjudicated_at, c.adjudicated_by = utcnow(), self.ctx.actor.id
        if data.outcome == "dismissed":
            c.state, c.due_date = "dismissed", None
        else:
            if data.outcome == "reduced":
                c.reduced_to_cents = data.reduced_to_cents
            elif data.reset_clock:
                c.clock_from = today
            c.state = "open"
            c.due_date = money.due_on(terms_of(c, [], self.tz), DEFAULT_DUE_DAYS)
            if self.breakdown(c).balance_cents == 0:
                c.state = "paid"
        c.touch()
        audit.record(
            self.session,
            self.ctx,
            "citation.adjudicate",
            entity_type="citation",
            entity_id=c.id,
            detail={"outcome": data.outcome},
        )
        self.event("citation.adjudicated", c, outcome=data.outcome)
        return c

    def to_collections(self, citation_id: uuid.UUID, if_match: str | None) -> Citation:
        c = self.get(citation_id, for_update=True)
        check_if_match(if_match, c.version, required=False)
        status = status_of(c, self.breakdown(c).balance_cents, self.today())
        if status is not CitationStatus.overdue:
            raise Conflict(
                f"Only overdue citations go to collections; this one is {status.value}",
                code="not_overdue",
            )
        c.state, c.collections_at = "collections", utcnow()
        c.touch()
        audit.record(
            self.session, self.ctx, "citation.collections", entity_type="citation", entity_id=c.id
        )
        self.event("citation.collections", c)
        return c
