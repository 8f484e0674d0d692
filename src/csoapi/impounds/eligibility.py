"""Which plates may be towed for unanswered citations (a dry run: nothing is towed), each
explained by the citations that qualify it. The rule and its numbers are the rule pack's
(``tow_eligibility``); the agency may switch it off or make it stricter (settings), never
looser. What each citation owes is the citations feature's answer (``citations.owed``)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from csoapi.citations.balances import Balances
from csoapi.citations.owed import owed
from csoapi.citations.repository import CitationRepository
from csoapi.citations.schemas import CitationStatus
from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.impounds.repository import ImpoundRepository
from csoapi.impounds.rules import pack_for
from csoapi.impounds.schemas import QualifyingCitation, TowEligibleList, TowEligiblePlate

UNANSWERED = (CitationStatus.open, CitationStatus.overdue, CitationStatus.collections)


class EligibilityService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = ImpoundRepository(session)
        self.citations = CitationRepository(session)
        self.balances = Balances(self.citations, ctx.settings.tz)

    def tow_eligible(self, limit: int) -> TowEligibleList:
        s = self.ctx.settings
        rule = pack_for(s.impound_jurisdiction).tow_eligibility
        if rule is None or not s.tow_eligibility_enabled:
            return TowEligibleList(enabled=False, items=[])
        least = max(rule.min_citations, s.tow_eligibility_min_citations or 0)
        days = max(rule.unanswered_days, s.tow_eligibility_unanswered_days or 0)
        today = self.balances.today()
        cutoff = today - timedelta(days=days)
        items = []
        for state, plate, _ in self.repo.tow_candidates(cutoff, least, limit):
            qualifying = [
                o
                for o in owed(
                    self.citations, self.balances, plate=plate, plate_state=state, capped=False
                )
                if o.status in UNANSWERED and o.citation.issued_on <= cutoff
            ]
            if len(qualifying) < least:
                continue
            items.append(
                TowEligiblePlate(
                    plate_state=state,
                    plate=plate,
                    count=len(qualifying),
                    balance_cents=sum(o.balance_cents for o in qualifying),
                    citations=[
                        QualifyingCitation(
                            id=o.citation.id,
                            number=o.citation.number,
                            violation_code=o.citation.violation_code,
                            issued_at=o.citation.issued_at,
                            days_unanswered=(today - o.citation.issued_on).days,
                            status=o.status,
                            balance_cents=o.balance_cents,
                        )
                        for o in qualifying
                    ],
                )
            )
        audit.record_list(
            self.session,
            self.ctx,
            "vehicle.tow_eligible",
            entity_type="vehicle",
            filters={"limit": limit},
            count=len(items),
        )
        return TowEligibleList(
            enabled=True,
            rule_id=rule.rule_id,
            citation=rule.citation,
            min_citations=least,
            unanswered_days=days,
            items=items,
        )
