"""Recovery: what a plate owes, whether it may be towed, and the scofflaw list."""

from __future__ import annotations

from sqlmodel import Session

from csoapi.citations.balances import Balances
from csoapi.citations.owed import owed
from csoapi.citations.repository import CitationRepository
from csoapi.citations.schemas import CitationStatus, Scofflaw, VehicleCitation, VehicleRecord
from csoapi.core import audit
from csoapi.core.context import RequestContext


class VehicleService:
    """What plates owe (``owed``), read by the people who decide on tows."""

    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = CitationRepository(session)
        self.balances = Balances(self.repo, ctx.settings.tz)

    def record(self, plate_state: str, plate: str) -> VehicleRecord:
        owing = owed(self.repo, self.balances, plate=plate, plate_state=plate_state, capped=False)
        items = [
            VehicleCitation(
                id=o.citation.id,
                number=o.citation.number,
                status=o.status,
                violation_code=o.citation.violation_code,
                issued_at=o.citation.issued_at,
                due_date=o.citation.due_date,
                balance_cents=o.balance_cents,
            )
            for o in owing
        ]
        overdue = sum(
            1 for i in items if i.status in (CitationStatus.overdue, CitationStatus.collections)
        )
        audit.record(
            self.session,
            self.ctx,
            "vehicle.read",
            entity_type="vehicle",
            entity_id=f"{plate_state}/{plate}",
        )
        return VehicleRecord(
            plate=plate,
            plate_state=plate_state,
            open_citations=items,
            total_balance_cents=sum(i.balance_cents for i in items),
            overdue_count=overdue,
            tow_eligible=overdue >= self.ctx.settings.tow_eligible_overdue,
        )

    def scofflaws(self, threshold: int, limit: int) -> list[Scofflaw]:
        """Plates with at least ``threshold`` unpaid citations past their due date."""
        rows = self.repo.scofflaws(self.balances.today(), threshold, limit)
        audit.record_list(
            self.session,
            self.ctx,
            "vehicle.scofflaws",
            entity_type="vehicle",
            filters={"min_overdue": threshold, "limit": limit},
            count=len(rows),
        )
        return [Scofflaw(plate_state=s, plate=p, overdue_count=n) for s, p, n in rows]
