"""Reports: drafting, the review workflow, records processing (numbering), supplements,
victim follow-up, the redacted release copy and the export for RMS vendors."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlmodel import Session

from csoapi.calls.repository import CallRepository
from csoapi.codes.service import OFFENSES, require_active
from csoapi.core import audit
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Change, Changes, Entity, Event
from csoapi.core.numbering import REPORT_NUMBER, yearly_number
from csoapi.core.scopes import Role
from csoapi.reports.models import (
    Report,
    ReportContact,
    ReportPerson,
    ReportSupplement,
    ReportVehicle,
)
from csoapi.reports.repository import Parts, ReportFilters, ReportRepository
from csoapi.reports.schemas import (
    ContactBody,
    Person,
    ReleaseCopy,
    ReportCreate,
    ReportRead,
    ReportUpdate,
    ReportVehicleIn,
    ReturnBody,
    SupplementBody,
)
from csoapi.reports.views import COLLEAGUE, release_copy, report_view

__all__ = ["ReportFilters", "ReportService"]

EDITABLE = ("draft", "returned")
TRANSITIONS = {
    "draft": ("submitted",),
    "submitted": ("approved", "returned"),
    "returned": ("submitted",),
    "approved": ("processed",),
    "processed": (),
}
PUBLIC_EVENTS = "reports:export"  # approved/processed: for RMS vendors
REVIEW_EVENTS = "reports:review"  # the reviewers' scope, and the events they follow
RECORDS_SCOPE = "reports:records"


def payload(r: Report) -> dict[str, Any]:
    """What every report event carries: no narrative, no people."""
    return {
        "id": str(r.id),
        "number": r.number,
        "kind": r.kind,
        "status": r.status,
        "offense_code": r.offense_code,
        "version": r.version,
    }


# Each event names its readers: reviewers follow the workflow, RMS vendors what is approved.
REPORT: Entity[Report] = Entity("report", payload=payload)


def _check(status: str, target: str) -> None:
    if target not in TRANSITIONS[status]:
        allowed = list(TRANSITIONS[status])
        raise InvalidTransition(
            f"A {status} report cannot become {target}", current_status=status, allowed=allowed
        )


def _moved(change: Change[Report], event: str, scope: str) -> Report:
    """A workflow step taken: audited and announced under one name, to ``scope``."""
    return change.done(event, events=[Event(event, read_scope=scope)])


class ReportService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = ReportRepository(session)
        self.changes = Changes(
            session, ctx, REPORT, lock=lambda key: self.get(key, for_update=True)
        )

    # -- who sees what --------------------------------------------------------------------
    @property
    def _supervisor(self) -> bool:
        p = self.ctx.actor
        return p.is_user and p.role == Role.sergeant

    def _visible(self, r: Report) -> bool:
        p = self.ctx.actor
        return r.status != "draft" or r.author_id == p.id or self._supervisor

    def get(self, report_id: uuid.UUID, *, for_update: bool = False) -> Report:
        r = self.repo.get(report_id, for_update=for_update)
        if r is None or not self._visible(r):  # someone else's draft does not exist for you
            raise NotFound("No such report", code="report_not_found")
        return r

    def read(self, report_id: uuid.UUID) -> ReportRead:
        """A read, audited, saying whether it showed the people on the report in full."""
        r = self.get(report_id)
        full = self.sees_people(r)
        audit.record(
            self.session,
            self.ctx,
            "report.read",
            entity_type="report",
            entity_id=r.id,
            detail={"person_detail": "full" if full else "withheld"},
        )
        return report_view(r, self._parts(r), None if full else COLLEAGUE)

    def page(self, f: ReportFilters, *, limit: int, cursor: str | None):
        # Someone else's draft does not exist for a reader who is not a sergeant.
        drafts_of = None if self._supervisor else self.ctx.actor.id
        rows, nxt = self.repo.page(f, drafts_of=drafts_of, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "report.list",
            entity_type="report",
            filters=asdict(f) | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    # -- drafting -------------------------------------------------------------------------
    def create(self, data: ReportCreate) -> Report:
        actor = self.ctx.actor
        if not actor.is_user:
            raise Forbidden("Reports are written by people", code="users_only")
        if data.call_id is not None and not CallRepository(self.session).exists(data.call_id):
            raise Unprocessable("call_id names no call", code="unknown_call", field="call_id")
        r = Report(
            kind=data.kind.value,
            status="draft",
            author_id=actor.id,
            call_id=data.call_id,
            hit_and_run=data.hit_and_run,
            narrative=data.narrative or "",
        )
        self._apply(r, data.model_dump(exclude_unset=True), data)
        self.repo.add(r)
        self._replace_parts(r, data.persons, data.vehicles)
        audit.record(self.session, self.ctx, "report.create", entity_type="report", entity_id=r.id)
        return r

    def update(self, report_id: uuid.UUID, data: ReportUpdate, if_match: str | None) -> Report:
        change = self.changes.begin(report_id, if_match, required=True)
        r = change.row
        self._author_only(r)
        if r.status not in EDITABLE:
            raise Conflict(
                f"A {r.status} report is not edited; add a supplement instead",
                code="report_not_editable",
            )
        changes = data.model_dump(exclude_unset=True)
        self._apply(r, changes, data)
        if "persons" in changes or "vehicles" in changes:
            self._replace_parts(
                r,
                data.persons if "persons" in changes else None,
                data.vehicles if "vehicles" in changes else None,
            )
        return change.done("report.update", detail={"fields": sorted(changes)})

    def _apply(self, r: Report, changes: dict[str, Any], data: ReportCreate | ReportUpdate) -> None:
        if changes.get("offense_code") is not None:
            r.offense_code = require_active(
                self.session, OFFENSES, data.offense_code or "", "offense_code"
            ).code
        if changes.get("hit_and_run") is not None:
            r.hit_and_run = bool(data.hit_and_run)
        if changes.get("narrative") is not None:
            r.narrative = data.narrative or ""
        for field in ("occurred_from", "occurred_to"):
            if field in changes:
                value = getattr(data, field)
                if value is not None:
                    refuse_implausible(value, field)
                setattr(r, field, value)
        if r.occurred_from and r.occurred_to and r.occurred_to < r.occurred_from:
            raise Unprocessable(
                "occurred_to is before occurred_from", code="bad_time_window", field="occurred_to"
            )
        if "location" in changes:
            r.address = data.location.address if data.location else None
            r.beat = data.location.beat if data.location else None

    def _replace_parts(
        self, r: Report, persons: list[Person] | None, vehicles: list[ReportVehicleIn] | None
    ) -> None:
        if vehicles is not None:
            count = len(persons) if persons is not None else len(self._parts(r).persons)
            for i, v in enumerate(vehicles):
                if v.driver is not None and v.driver >= count:
                    raise Unprocessable(
                        f"vehicles[{i}].driver names no person",
                        code="bad_driver",
                        field=f"vehicles.{i}.driver",
                    )
        self.repo.replace_parts(
            r.id,
            None
            if persons is None
            else [
                ReportPerson(report_id=r.id, position=i, **p.model_dump())
                for i, p in enumerate(persons)
            ],
            None
            if vehicles is None
            else [
                ReportVehicle(
                    report_id=r.id,
                    position=i,
                    driver_index=v.driver,
                    **v.model_dump(exclude={"driver"}),
                )
                for i, v in enumerate(vehicles)
            ],
        )

    # -- workflow -------------------------------------------------------------------------
    def submit(self, report_id: uuid.UUID, if_match: str | None) -> Report:
        change = self.changes.begin(report_id, if_match)
        r = change.row
        self._author_only(r)
        _check(r.status, "submitted")
        missing = []
        if not r.narrative.strip():
            missing.append("narrative")
        if r.kind == "crime" and not r.offense_code:
            missing.append("offense_code")
        if r.kind == "collision" and not self._parts(r).vehicles:
            missing.append("vehicles")
        if r.kind != "activity" and not r.address:
            missing.append("location")
        if missing:
            raise Unprocessable(
                f"A {r.kind} report needs: {', '.join(missing)}",
                code="report_incomplete",
                missing=missing,
            )
        r.status, r.submitted_at = "submitted", utcnow()
        return _moved(change, "report.submitted", REVIEW_EVENTS)

    def approve(self, report_id: uuid.UUID, if_match: str | None) -> Report:
        change = self._for_review(report_id, if_match)
        r = change.row
        _check(r.status, "approved")
        r.status, r.approved_at, r.reviewed_by = "approved", utcnow(), self.ctx.actor.id
        return _moved(change, "report.approved", PUBLIC_EVENTS)

    def return_(self, report_id: uuid.UUID, data: ReturnBody, if_match: str | None) -> Report:
        change = self._for_review(report_id, if_match)
        r = change.row
        _check(r.status, "returned")
        r.status, r.returned_at, r.return_reason = "returned", utcnow(), data.reason
        r.reviewed_by = self.ctx.actor.id
        return _moved(change, "report.returned", REVIEW_EVENTS)

    def process(self, report_id: uuid.UUID, if_match: str | None) -> Report:
        change = self.changes.begin(report_id, if_match)
        r = change.row
        _check(r.status, "processed")
        now = utcnow()
        year = now.astimezone(self.ctx.settings.tz).year
        prefix = self.ctx.settings.report_number_prefix
        r.number = yearly_number(self.session, REPORT_NUMBER, prefix, year)
        r.status, r.processed_at, r.processed_by = "processed", now, self.ctx.actor.id
        return _moved(change, "report.processed", PUBLIC_EVENTS)

    def _for_review(self, report_id: uuid.UUID, if_match: str | None) -> Change[Report]:
        change = self.changes.begin(report_id, if_match)
        if change.row.author_id == self.ctx.actor.id:
            raise Forbidden("Nobody reviews their own report", code="separation_of_duties")
        return change

    def _author_only(self, r: Report) -> None:
        if r.author_id != self.ctx.actor.id:
            raise Forbidden("Only the author changes a report before approval", code="author_only")

    # -- after approval -------------------------------------------------------------------
    def supplement(self, report_id: uuid.UUID, data: SupplementBody) -> ReportSupplement:
        change = self.changes.begin(report_id)
        r = change.row
        if r.status not in ("approved", "processed"):
            raise Conflict(
                "Supplements follow approval; edit the report until then",
                code="report_not_approved",
            )
        if r.author_id != self.ctx.actor.id and not self._supervisor:
            raise Forbidden("The author or a sergeant adds supplements", code="author_or_sergeant")
        s = ReportSupplement(report_id=r.id, author_id=self.ctx.actor.id, narrative=data.narrative)
        self.repo.add(s, flush=False)
        change.done("report.supplement")
        return s

    def _people_only(self, r: Report) -> None:
        """Follow-up contacts are person detail. The report itself is visible to the caller
        (someone else's draft is a 404 before this), so a refusal here is a 403: a 404
        would contradict the report they can read."""
        if not self.sees_people(r):
            raise Forbidden(
                "Victim follow-up is for the report's author, its reviewers and records",
                code="person_detail_restricted",
            )

    def contact(self, report_id: uuid.UUID, data: ContactBody) -> ReportContact:
        change = self.changes.begin(report_id)  # appended under the report's lock
        r = change.row
        self._people_only(r)
        refuse_implausible(data.at, "at")
        c = ReportContact(
            report_id=r.id,
            by_id=self.ctx.actor.id,
            method=data.method,
            at=data.at,
            summary=data.summary,
        )
        self.repo.add(c)
        change.done("report.contact", stamp=False)  # a contact leaves the report as it was
        return c

    def contacts(self, report_id: uuid.UUID) -> list[ReportContact]:
        r = self.get(report_id)
        self._people_only(r)
        audit.record(
            self.session, self.ctx, "report.contacts.read", entity_type="report", entity_id=r.id
        )
        return self.repo.contacts(r.id)

    def release(self, report_id: uuid.UUID) -> ReleaseCopy:
        r = self.get(report_id)
        if r.status not in ("approved", "processed"):
            raise Conflict("Only approved reports are released", code="report_not_approved")
        audit.record(self.session, self.ctx, "report.release", entity_type="report", entity_id=r.id)
        return release_copy(r, self._parts(r))

    def export(self, approved_since: datetime | None, *, limit: int, cursor: str | None):
        rows, nxt = self.repo.export_page(approved_since, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "report.export",
            entity_type="report",
            filters={"approved_since": approved_since, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        parts = self.repo.parts([r.id for r in rows])
        return [release_copy(r, parts[r.id]) for r in rows], nxt

    # -- views ----------------------------------------------------------------------------
    def sees_people(self, r: Report) -> bool:
        """Full person detail (phones, addresses, dates of birth, juveniles' names, follow-up
        contacts) is for the report's author, its reviewers and records staff."""
        p = self.ctx.actor
        return r.author_id == p.id or p.has(REVIEW_EVENTS) or p.has(RECORDS_SCOPE)

    def view(self, r: Report) -> ReportRead:
        return report_view(r, self._parts(r), None if self.sees_people(r) else COLLEAGUE)

    def _parts(self, r: Report) -> Parts:
        return self.repo.parts([r.id])[r.id]
