"""Every query of reports and their parts (persons, vehicles, supplements, contacts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.reports.models import (
    Report,
    ReportContact,
    ReportPerson,
    ReportSupplement,
    ReportVehicle,
)

KEYS = (
    SortKey(Report.created_at, "datetime", lambda r: r.created_at),
    SortKey(Report.id, "uuid", lambda r: r.id),
)
EXPORT_KEYS = (
    SortKey(Report.approved_at, "datetime", lambda r: r.approved_at),
    SortKey(Report.id, "uuid", lambda r: r.id),
)


@dataclass(frozen=True, slots=True)
class ReportFilters:
    status: str | None = None
    author_id: uuid.UUID | None = None
    kind: str | None = None
    call_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Parts:
    """A report's persons, vehicles and supplements, each in its order."""

    persons: list[ReportPerson] = field(default_factory=list)
    vehicles: list[ReportVehicle] = field(default_factory=list)
    supplements: list[ReportSupplement] = field(default_factory=list)


class ReportRepository(Repository[Report]):
    model = Report
    keys = KEYS
    tag = "reports"

    def page(
        self,
        f: ReportFilters,
        *,
        drafts_of: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Report], str | None]:
        """Reports matching ``f``, newest first; with ``drafts_of``, of the drafts only
        that author's."""
        stmt = sa.select(Report)
        for column, value in {
            Report.status: f.status,
            Report.author_id: f.author_id,
            Report.kind: f.kind,
            Report.call_id: f.call_id,
        }.items():
            if value is not None:
                stmt = stmt.where(column == value)
        if drafts_of is not None:
            stmt = stmt.where(sa.or_(Report.status != "draft", Report.author_id == drafts_of))
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)

    def export_page(
        self, approved_since: datetime | None, *, limit: int, cursor: str | None
    ) -> tuple[list[Report], str | None]:
        """Approved and processed reports in the order they were approved."""
        stmt = sa.select(Report).where(Report.status.in_(("approved", "processed")))
        if approved_since is not None:
            stmt = stmt.where(Report.approved_at >= approved_since)
        return self.page_of(stmt, limit=limit, cursor=cursor, keys=EXPORT_KEYS, tag="report-export")

    def parts(self, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, Parts]:
        """Persons, vehicles and supplements of many reports in three queries (no N+1)."""
        parts = {rid: Parts() for rid in report_ids}
        if not report_ids:
            return parts
        for p in self.session.scalars(
            sa.select(ReportPerson)
            .where(ReportPerson.report_id.in_(report_ids))
            .order_by(ReportPerson.position)
        ):
            parts[p.report_id].persons.append(p)
        for v in self.session.scalars(
            sa.select(ReportVehicle)
            .where(ReportVehicle.report_id.in_(report_ids))
            .order_by(ReportVehicle.position)
        ):
            parts[v.report_id].vehicles.append(v)
        for sup in self.session.scalars(
            sa.select(ReportSupplement)
            .where(ReportSupplement.report_id.in_(report_ids))
            .order_by(ReportSupplement.created_at)
        ):
            parts[sup.report_id].supplements.append(sup)
        return parts

    def replace_parts(
        self,
        report_id: uuid.UUID,
        persons: list[ReportPerson] | None,
        vehicles: list[ReportVehicle] | None,
    ) -> None:
        """The report's persons and/or vehicles (those given) replaced by these, flushed."""
        if persons is not None:
            self.session.execute(sa.delete(ReportPerson).where(ReportPerson.report_id == report_id))
            self.session.add_all(persons)
        if vehicles is not None:
            self.session.execute(
                sa.delete(ReportVehicle).where(ReportVehicle.report_id == report_id)
            )
            self.session.add_all(vehicles)
        self.session.flush()

    def contacts(self, report_id: uuid.UUID) -> list[ReportContact]:
        return list(
            self.session.scalars(
                sa.select(ReportContact)
                .where(ReportContact.report_id == report_id)
                .order_by(ReportContact.at)
            ).all()
        )
