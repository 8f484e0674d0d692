"""Every query of evidence and property: locations, items, the custody chain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.evidence.models import (
    CustodyEvent,
    EvidenceAudit,
    EvidenceAuditLine,
    EvidenceDisposition,
    EvidenceItem,
    EvidenceLocation,
)

ITEM_KEYS = (
    SortKey(EvidenceItem.created_at, "datetime", lambda r: r.created_at),
    SortKey(EvidenceItem.id, "uuid", lambda r: r.id),
)
LOCATION_KEYS = (SortKey(EvidenceLocation.code, "str", lambda r: r.code),)
CUSTODY_KEYS = (SortKey(CustodyEvent.seq, "int", lambda r: r.seq),)


@dataclass(frozen=True, slots=True)
class ItemFilters:
    kind: str | None = None
    category: str | None = None
    status: str | None = None
    report_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None  # at this location or anywhere below it
    holder_id: uuid.UUID | None = None
    review_before: date | None = None
    due_back_before: datetime | None = None


class LocationRepository(Repository[EvidenceLocation]):
    model = EvidenceLocation
    missing = ("No such storage location", "location_not_found")
    keys = LOCATION_KEYS
    tag = "evidence-locations"

    def by_code(self, code: str) -> EvidenceLocation | None:
        stmt = sa.select(EvidenceLocation).where(EvidenceLocation.code == code)
        return self.session.scalars(stmt).first()

    def path(self, location: EvidenceLocation) -> list[EvidenceLocation]:
        """From the room down to ``location`` (at most three levels)."""
        out = [location]
        while out[0].parent_id is not None:
            parent = self.find(out[0].parent_id)
            if parent is None:  # pragma: no cover - a foreign key holds the parent
                break
            out.insert(0, parent)
        return out

    def below(self, location_id: uuid.UUID) -> list[uuid.UUID]:
        """``location_id`` and every location under it."""
        found, frontier = [location_id], [location_id]
        while frontier:
            stmt = sa.select(EvidenceLocation.id).where(EvidenceLocation.parent_id.in_(frontier))
            frontier = list(self.session.scalars(stmt).all())
            found.extend(frontier)
        return found

    def page(
        self, *, parent_id: uuid.UUID | None, level: str | None, limit: int, cursor: str | None
    ) -> tuple[list[EvidenceLocation], str | None]:
        stmt = sa.select(EvidenceLocation)
        if parent_id is not None:
            stmt = stmt.where(EvidenceLocation.parent_id == parent_id)
        if level is not None:
            stmt = stmt.where(EvidenceLocation.level == level)
        return self.page_of(stmt, limit=limit, cursor=cursor)


class ItemRepository(Repository[EvidenceItem]):
    model = EvidenceItem
    missing = ("No such evidence or property item", "item_not_found")
    keys = ITEM_KEYS
    tag = "evidence-items"

    def by_barcodes(self, barcodes: Sequence[str], *, for_update: bool) -> list[EvidenceItem]:
        """The items of ``barcodes``, locked in barcode order (two bulk requests over the
        same items take their locks in one order: no deadlock)."""
        stmt = (
            sa.select(EvidenceItem)
            .where(EvidenceItem.barcode.in_(list(barcodes)))
            .order_by(EvidenceItem.barcode)
        )
        if for_update:
            stmt = stmt.with_for_update()
        return list(self.session.scalars(stmt).all())

    def page(
        self, f: ItemFilters, *, locations: list[uuid.UUID] | None, limit: int, cursor: str | None
    ) -> tuple[list[EvidenceItem], str | None]:
        stmt = sa.select(EvidenceItem)
        equal = {
            EvidenceItem.kind: f.kind,
            EvidenceItem.category: f.category,
            EvidenceItem.status: f.status,
            EvidenceItem.report_id: f.report_id,
            EvidenceItem.call_id: f.call_id,
            EvidenceItem.current_holder_id: f.holder_id,
        }
        for column, value in equal.items():
            if value is not None:
                stmt = stmt.where(column == value)
        if locations is not None:
            stmt = stmt.where(EvidenceItem.current_location_id.in_(locations))
        if f.review_before is not None:
            stmt = stmt.where(
                EvidenceItem.review_date < f.review_before,
                EvidenceItem.status.in_(("in_custody", "checked_out")),
            )
        if f.due_back_before is not None:
            stmt = stmt.where(
                EvidenceItem.status == "checked_out", EvidenceItem.due_back_at < f.due_back_before
            )
        return self.page_of(stmt, limit=limit, cursor=cursor)

    def count_at(self, location_id: uuid.UUID) -> int:
        stmt = sa.select(sa.func.count()).where(EvidenceItem.current_location_id == location_id)
        return int(self.session.scalar(stmt) or 0)

    # -- the chain --------------------------------------------------------------------------
    def chain(self, item_id: uuid.UUID) -> list[CustodyEvent]:
        stmt = (
            sa.select(CustodyEvent)
            .where(CustodyEvent.item_id == item_id)
            .order_by(CustodyEvent.seq)
        )
        return list(self.session.scalars(stmt).all())

    def custody_page(
        self, item_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[CustodyEvent], str | None]:
        stmt = sa.select(CustodyEvent).where(CustodyEvent.item_id == item_id)
        return self.page_of(stmt, limit=limit, cursor=cursor, keys=CUSTODY_KEYS, tag="custody")


class DispositionRepository(Repository[EvidenceDisposition]):
    model = EvidenceDisposition

    def of_item(self, item_id: uuid.UUID) -> list[EvidenceDisposition]:
        stmt = (
            sa.select(EvidenceDisposition)
            .where(EvidenceDisposition.item_id == item_id)
            .order_by(EvidenceDisposition.requested_at, EvidenceDisposition.id)
        )
        return list(self.session.scalars(stmt).all())

    def open_of(self, item_id: uuid.UUID) -> EvidenceDisposition | None:
        stmt = sa.select(EvidenceDisposition).where(
            EvidenceDisposition.item_id == item_id,
            EvidenceDisposition.status.in_(("requested", "approved")),
        )
        return self.session.scalars(stmt).first()

    def counts(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(items taken in, items disposed of) between ``start`` and ``end``."""
        intake = sa.select(sa.func.count()).where(
            EvidenceItem.created_at >= start, EvidenceItem.created_at < end
        )
        disposed = sa.select(sa.func.count()).where(
            EvidenceDisposition.status == "executed",
            EvidenceDisposition.executed_at >= start,
            EvidenceDisposition.executed_at < end,
        )
        return int(self.session.scalar(intake) or 0), int(self.session.scalar(disposed) or 0)


class AuditRepository(Repository[EvidenceAudit]):
    model = EvidenceAudit
    missing = ("No such audit", "audit_not_found")

    def lines(self, audit_id: uuid.UUID) -> list[EvidenceAuditLine]:
        stmt = sa.select(EvidenceAuditLine).where(EvidenceAuditLine.audit_id == audit_id)
        return list(self.session.scalars(stmt).all())

    def in_custody(self, locations: list[uuid.UUID] | None) -> list[EvidenceItem]:
        """The audit's population: items in custody (in the scope's locations)."""
        stmt = sa.select(EvidenceItem).where(EvidenceItem.status == "in_custody")
        if locations is not None:
            stmt = stmt.where(EvidenceItem.current_location_id.in_(locations))
        return list(self.session.scalars(stmt).all())
