"""Contests, adjudication (records) and referral of overdue balances to collections."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from csoapi.citations import money
from csoapi.citations.balances import DEFAULT_DUE_DAYS, Balances, terms_of
from csoapi.citations.changes import citation_changes
from csoapi.citations.models import Citation
from csoapi.citations.repository import CitationRepository
from csoapi.citations.schemas import AdjudicateBody, CitationRead, CitationStatus, ContestBody
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Event


class AdjudicationService:
    """Decisions about what a citation owes: records staff's, on their own citations'
    balances (``Balances``), never issuing or paying."""

    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.tz = ctx.settings.tz
        repo = CitationRepository(session)
        self.balances = Balances(repo, self.tz)
        self.changes = citation_changes(session, ctx, repo)

    def officer_view(self, c: Citation) -> CitationRead:
        return self.balances.officer_view(c)

    def contest(self, citation_id: uuid.UUID, data: ContestBody, if_match: str | None) -> Citation:
        change = self.changes.begin(citation_id, if_match)
        c = change.row
        status = self.balances.status(c)
        if c.kind == "warning" or status not in (
            CitationStatus.open,
            CitationStatus.overdue,
            CitationStatus.collections,
        ):
            raise Conflict(f"A {status.value} citation cannot be contested", code="not_contestable")
        today = self.balances.today()
        c.pauses = [*c.pauses, {"start": today.isoformat(), "end": None}]
        c.state, c.contested_on, c.contest_reason, c.due_date = (
            "contested",
            today,
            data.reason,
            None,
        )
        return change.done("citation.contest", events=[Event("citation.contested")])

    def adjudicate(
        self, citation_id: uuid.UUID, data: AdjudicateBody, if_match: str | None
    ) -> Citation:
        change = self.changes.begin(citation_id, if_match)
        c = change.row
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
        today = self.balances.today()
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
            if self.balances.breakdown(c).balance_cents == 0:
                c.state = "paid"
        return change.done(
            "citation.adjudicate",
            detail={"outcome": data.outcome},
            events=[Event("citation.adjudicated", {"outcome": data.outcome})],
        )

    def to_collections(self, citation_id: uuid.UUID, if_match: str | None) -> Citation:
        change = self.changes.begin(citation_id, if_match)
        c = change.row
        status = self.balances.status(c)
        if status is not CitationStatus.overdue:
            raise Conflict(
                f"Only overdue citations go to collections; this one is {status.value}",
                code="not_overdue",
            )
        c.state, c.collections_at = "collections", utcnow()
        return change.done("citation.collections", events=[Event("citation.collections")])
