"""Citations: issuance (with the violation's money snapshot), reads with the balance broken
into lines, listing, and voiding."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from csoapi.calls.repository import CallRepository
from csoapi.citations import money
from csoapi.citations.balances import (
    DEFAULT_DUE_DAYS,
    PAYABLE_STATES,
    Balances,
    PaymentLine,
    terms_of,
)
from csoapi.citations.changes import EVENT_SCOPE, citation_changes, payload
from csoapi.citations.models import Citation
from csoapi.citations.repository import CitationFilters, CitationRepository
from csoapi.citations.schemas import CitationCreate, CitationRead, PortalCitation, VoidBody
from csoapi.core import audit, events
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, Unprocessable
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Event
from csoapi.core.numbering import CITATION_NUMBER, yearly_number
from csoapi.permits.service import covering
from csoapi.violations.models import Violation
from csoapi.violations.service import in_force

__all__ = ["DEFAULT_DUE_DAYS", "PAYABLE_STATES", "CitationFilters", "CitationService"]
SCAN_BATCH = 200
SCAN_CAP = 5000  # rows examined per request when filtering on the (computed) balance


class CitationService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.tz = ctx.settings.tz
        self.repo = CitationRepository(session)
        self.balances = Balances(self.repo, self.tz)
        self.changes = citation_changes(session, ctx, self.repo)

    # -- balances and views (``Balances``, as of one day per request) ---------------------
    def today(self) -> date:
        return self.balances.today()

    def payments(self, citation_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PaymentLine]]:
        return self.balances.payments(citation_ids)

    def breakdown(self, c: Citation, payments: list[PaymentLine] | None = None) -> money.Breakdown:
        return self.balances.breakdown(c, payments)

    def officer_view(self, c: Citation) -> CitationRead:
        return self.balances.officer_view(c)

    def officer_view_from(self, c: Citation, payments: list[PaymentLine]) -> CitationRead:
        return self.balances.officer_view(c, payments)

    def portal_view(self, c: Citation, b: money.Breakdown) -> PortalCitation:
        return self.balances.portal_view(c, b)

    # -- reads ----------------------------------------------------------------------------
    def get(self, citation_id: uuid.UUID, *, for_update: bool = False) -> Citation:
        return self.repo.get_or_404(citation_id, for_update=for_update)

    def read(self, citation_id: uuid.UUID) -> CitationRead:
        """The officers' view (VIN, officer notes): audited."""
        c = self.get(citation_id)
        audit.record(
            self.session, self.ctx, "citation.read", entity_type="citation", entity_id=c.id
        )
        return self.officer_view(c)

    def page(self, f: CitationFilters, *, limit: int, cursor: str | None):
        """A page of citations, audited as one list read."""
        rows, nxt = self._page(f, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "citation.list",
            entity_type="citation",
            filters=asdict(f) | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    def _page(self, f: CitationFilters, *, limit: int, cursor: str | None):
        if not f.min_balance_cents:
            return self.repo.page(f, self.today(), limit=limit, cursor=cursor)
        return self._scan_by_balance(f, f.min_balance_cents, limit=limit, cursor=cursor)

    def _scan_by_balance(self, f: CitationFilters, minimum: int, *, limit: int, cursor: str | None):
        """The balance includes penalties that depend on the day, so it is computed, not
        stored: scan in keyset order, keep rows that owe at least ``minimum``. At most
        SCAN_CAP rows per request; the cursor resumes exactly where the scan stopped."""
        found: list[Citation] = []
        scanned = 0
        while True:
            rows, nxt = self.repo.page(
                f, self.today(), limit=SCAN_BATCH, cursor=cursor, payable_only=True
            )
            paid = self.payments([c.id for c in rows])
            for i, c in enumerate(rows):
                if self.breakdown(c, paid[c.id]).balance_cents >= minimum:
                    found.append(c)
                    if len(found) == limit:
                        more = i < len(rows) - 1 or nxt is not None
                        return found, self.repo.cursor_after(c) if more else None
            scanned += len(rows)
            if nxt is None or scanned >= SCAN_CAP:
                return found, nxt
            cursor = nxt

    # -- issue / void ---------------------------------------------------------------------
    def issue(self, data: CitationCreate) -> Citation:
        now = utcnow()
        issued_at = refuse_implausible(data.issued_at or now, "issued_at", now)
        issued_on = issued_at.astimezone(self.tz).date()
        violation = in_force(self.session, data.violation_code, issued_on)
        if violation is None:
            raise Unprocessable(
                f"No violation '{data.violation_code}' is in force on {issued_on.isoformat()}",
                code="unknown_violation",
                field="violation_code",
            )
        if data.call_id is not None and not CallRepository(self.session).exists(data.call_id):
            raise Unprocessable("call_id names no call", code="unknown_call", field="call_id")
        self._refuse_permitted(data, issued_at)
        citation = self._new_citation(data, violation, issued_at, issued_on)
        # The number is reserved as late as it can be: its counter row stays locked until this
        # transaction commits, and every other issuer waits for it, so nothing that can be
        # done before it is done after it, and the rows that need the number (the citation,
        # its audit row, its event) go to the database together, in one round trip.
        citation.number = self._number(issued_on.year)
        self.repo.insert_issued(citation, then=lambda: self._issued(citation))
        return citation

    def _refuse_permitted(self, data: CitationCreate, issued_at: datetime) -> None:
        """In a permit zone, a vehicle a valid permit covers then is not cited (409
        ``permit_valid``, naming the permit) unless the officer overrides with a reason."""
        if data.permit_zone is None:
            if data.permit_override is not None:
                raise Unprocessable(
                    "permit_override needs permit_zone",
                    code="override_without_zone",
                    field="permit_override",
                )
            return
        permit = covering(self.session, data.plate, data.plate_state, data.permit_zone, issued_at)
        if permit is not None and data.permit_override is None:
            raise Conflict(
                f"Permit {permit.number} covers this vehicle in zone {data.permit_zone} "
                "at this time; override with a reason to cite it anyway",
                code="permit_valid",
                permit_id=str(permit.id),
                permit_number=permit.number,
            )

    def _new_citation(
        self, data: CitationCreate, violation: Violation, issued_at: datetime, issued_on: date
    ) -> Citation:
        """The citation ``data`` describes, with its violation's money as of ``issued_on``
        (a snapshot: a later schedule never changes what it owes)."""
        warning = data.kind == "warning"
        citation = new_row(
            Citation,
            number="",  # reserved last, by issue
            kind=data.kind,
            plate=data.plate,
            plate_state=data.plate_state,
            vin=data.vin,
            vehicle_make=data.vehicle.make if data.vehicle else None,
            vehicle_body=data.vehicle.body if data.vehicle else None,
            vehicle_color=data.vehicle.color if data.vehicle else None,
            location=data.location.address,
            beat=data.location.beat,
            violation_id=violation.id,
            violation_code=violation.code,
            violation_description=violation.description,
            fine_cents=0 if warning else violation.fine_cents,
            penalty_tiers=[] if warning else list(violation.penalties),
            issued_at=issued_at,
            issued_on=issued_on,
            issued_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
            call_id=data.call_id,
            notes=data.notes,
            permit_zone=data.permit_zone,
            permit_override_reason=data.permit_override.reason if data.permit_override else None,
            state="open",
        )
        if not warning:
            citation.due_date = money.due_on(terms_of(citation, [], self.tz), DEFAULT_DUE_DAYS)
        return citation

    def _issued(self, citation: Citation) -> None:
        audit.record(
            self.session,
            self.ctx,
            "citation.issue",
            entity_type="citation",
            entity_id=citation.id,
            detail={"number": citation.number, "kind": citation.kind}
            | ({"permit_overridden": True} if citation.permit_override_reason else {}),
        )
        self.event("citation.issued", citation)

    def void(self, citation_id: uuid.UUID, data: VoidBody, if_match: str | None) -> Citation:
        change = self.changes.begin(citation_id, if_match)
        c, actor = change.row, self.ctx.actor
        if actor.is_user and c.issued_by == actor.id:
            raise Forbidden("Nobody voids a citation they issued", code="separation_of_duties")
        if c.state not in ("open", "collections") or c.kind == "warning" and c.state != "open":
            raise Conflict(f"A {c.state} citation cannot be voided", code="citation_not_voidable")
        if self.repo.has_payments(c.id):
            raise Conflict("Citations with payments cannot be voided", code="citation_has_payments")
        c.state, c.void_reason, c.voided_by, c.voided_at = "void", data.reason, actor.id, utcnow()
        return change.done("citation.void", events=[Event("citation.voided")])

    # -- helpers --------------------------------------------------------------------------
    def _number(self, year: int) -> str:
        prefix = self.ctx.settings.citation_number_prefix
        return yearly_number(self.session, CITATION_NUMBER, prefix, year)

    def event(self, type_: str, c: Citation, **extra: Any) -> None:
        """An event about ``c`` outside a change (its issuance)."""
        events.append(
            self.session,
            type_,
            entity_type="citation",
            entity_id=c.id,
            read_scope=EVENT_SCOPE,
            payload=payload(c) | extra,
        )
