"""Evidence and property items: intake (barcode, review date by rule, the first custody
event), reads, and every custody step after it, one item or many barcodes at once."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from csoapi.calls.repository import CallRepository
from csoapi.core import audit
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, DomainError, Forbidden, InvalidTransition, Unprocessable
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Change, Changes, Entity, Event
from csoapi.core.numbering import EVIDENCE_BARCODE, yearly_number
from csoapi.core.offload import offload
from csoapi.evidence import chain, custody, labels
from csoapi.evidence.locations import LocationService
from csoapi.evidence.log import log_mismatch
from csoapi.evidence.models import CustodyEvent, EvidenceItem
from csoapi.evidence.repository import ItemFilters, ItemRepository
from csoapi.evidence.rules import HIGH_RISK, review_for
from csoapi.evidence.schemas import BulkCustodyBody, CustodyBody, ItemCreate, ItemUpdate
from csoapi.evidence.views import item_view
from csoapi.reports.repository import ReportRepository
from csoapi.users.repository import UserRepository

__all__ = ["ItemFilters", "ItemService"]
READ_SCOPE = "evidence:read"
OPEN = ("in_custody", "checked_out")


def payload(item: EvidenceItem) -> dict[str, Any]:
    """What every evidence event carries: ids and statuses, no description, no owner."""
    return {
        "id": str(item.id),
        "barcode": item.barcode,
        "kind": item.kind,
        "category": item.category,
        "status": item.status,
        "custody_seq": item.custody_seq,
        "version": item.version,
    }


ITEM: Entity[EvidenceItem] = Entity("evidence_item", read_scope=READ_SCOPE, payload=payload)


@dataclass(frozen=True, slots=True)
class Step:
    """A custody action: the statuses it starts from, the status it leaves, what it names."""

    start: tuple[str, ...]
    to: str
    names: str  # location | holder | party


STEPS = {
    "move": Step(("in_custody",), "in_custody", "location"),
    "check_in": Step(("checked_out",), "in_custody", "location"),
    "check_out": Step(("in_custody",), "checked_out", "holder"),
    "transfer": Step(("checked_out",), "checked_out", "holder"),
    "lab_submit": Step(OPEN, "checked_out", "party"),
    "court": Step(OPEN, "checked_out", "party"),
}
TARGET_FIELD = {"location": "to_location", "holder": "to_holder", "party": "to_party"}


class ItemService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = ItemRepository(session)
        self.locations = LocationService(session, ctx)
        self.changes = Changes(
            session, ctx, ITEM, lock=lambda key: self.repo.get_or_404(key, for_update=True)
        )

    # -- reads ------------------------------------------------------------------------------
    def get(self, item_id: uuid.UUID) -> EvidenceItem:
        return self.repo.get_or_404(item_id)

    def view(self, item: EvidenceItem):  # type: ignore[no-untyped-def]
        loc = None
        if item.current_location_id is not None:
            loc = self.locations.view(self.locations.get(item.current_location_id))
        return item_view(item, loc)

    def read(self, item_id: uuid.UUID):  # type: ignore[no-untyped-def]
        """A read, audited (found property names its owner)."""
        item = self.get(item_id)
        audit.record(
            self.session, self.ctx, "evidence.read", entity_type="evidence_item", entity_id=item.id
        )
        return item

    def page(self, f: ItemFilters, *, limit: int, cursor: str | None):
        below = None if f.location_id is None else self.locations.repo.below(f.location_id)
        rows, nxt = self.repo.page(f, locations=below, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "evidence.list",
            entity_type="evidence_item",
            filters=asdict(f) | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    # -- intake -----------------------------------------------------------------------------
    def create(self, data: ItemCreate) -> EvidenceItem:
        actor = self.ctx.actor
        if not actor.is_user:
            raise Forbidden("Evidence is taken in by people", code="users_only")
        refuse_implausible(data.collected_at, "collected_at")
        self._links(data.report_id, data.call_id)
        if data.owner is not None and data.kind == "evidence":
            raise Unprocessable(
                "An owner is recorded for found or safekeeping property",
                code="owner_not_for_evidence",
                field="owner",
            )
        loc = self.locations.storable(data.location_id, data.kind, "location_id")
        settings = self.ctx.settings
        review = review_for(
            kind=data.kind,
            category=data.category,
            biological=data.biological,
            intake_day=data.collected_at.astimezone(settings.tz).date(),
            holding_days=settings.found_property_holding_days,
        )
        year = utcnow().astimezone(settings.tz).year
        item = new_row(
            EvidenceItem,
            barcode=yearly_number(
                self.session, EVIDENCE_BARCODE, settings.evidence_barcode_prefix, year
            ),
            kind=data.kind,
            category=data.category,
            high_risk=data.category in HIGH_RISK,
            description=data.description,
            quantity=data.quantity,
            collected_at=data.collected_at,
            collected_by=actor.id,
            found_at=data.found_at,
            report_id=data.report_id,
            call_id=data.call_id,
            estimated_value_cents=data.estimated_value_cents,
            biological=data.biological or data.category == "biological",
            current_location_id=loc.id,
            review_date=review.on,
            review_rule=review.rule_id,
            custody_head=chain.GENESIS,
        )
        self._owner(item, data.owner)
        self.repo.add(item)
        custody.append(
            self.session,
            item,
            "intake",
            actor_id=actor.id,
            at=data.collected_at,
            to_location_id=loc.id,
            reason=data.reason,
            detail={"kind": item.kind, "category": item.category, "review_rule": review.rule_id},
            first=True,
        )
        self.repo.flush()
        change = Change(self.changes, item)
        return change.done("evidence.intake", stamp=False, events=[Event("evidence.intake")])

    def _links(self, report_id: uuid.UUID | None, call_id: uuid.UUID | None) -> None:
        if call_id is not None and not CallRepository(self.session).exists(call_id):
            raise Unprocessable("call_id names no call", code="unknown_call", field="call_id")
        if report_id is not None and ReportRepository(self.session).find(report_id) is None:
            raise Unprocessable(
                "report_id names no report", code="unknown_report", field="report_id"
            )

    @staticmethod
    def _owner(item: EvidenceItem, owner: Any) -> None:
        item.owner_name = owner.name if owner else None
        item.owner_phone = owner.phone if owner else None
        item.owner_address = owner.address if owner else None

    def update(self, item_id: uuid.UUID, data: ItemUpdate, if_match: str | None) -> EvidenceItem:
        change = self.changes.begin(item_id, if_match, required=True)
        item = change.row
        fields = data.model_dump(exclude_unset=True)
        if "owner" in fields:
            if item.kind == "evidence" and data.owner is not None:
                raise Unprocessable(
                    "An owner is recorded for found or safekeeping property",
                    code="owner_not_for_evidence",
                    field="owner",
                )
            self._owner(item, data.owner)
        if "report_id" in fields:
            self._links(data.report_id, None)
            item.report_id = data.report_id
        for key in ("description", "estimated_value_cents"):
            if fields.get(key) is not None:
                setattr(item, key, fields[key])
        return change.done("evidence.update", detail={"fields": sorted(fields)})

    # -- custody ----------------------------------------------------------------------------
    def record(self, item_id: uuid.UUID, body: CustodyBody, if_match: str | None) -> CustodyEvent:
        change = self.changes.begin(item_id, if_match)
        event = self._step(change.row, body)
        self._done(change, event)
        return event

    def bulk(self, body: BulkCustodyBody) -> list[tuple[EvidenceItem, CustodyEvent]]:
        """One action for many scanned barcodes, all or nothing: any refusal refuses the
        whole scan, with every barcode's reason listed."""
        wanted = sorted(set(body.barcodes))
        items = {i.barcode: i for i in self.repo.by_barcodes(wanted, for_update=True)}
        failures, done = [], []
        for barcode in wanted:
            item = items.get(barcode)
            if item is None:
                failures.append(
                    {
                        "barcode": barcode,
                        "code": "item_not_found",
                        "detail": "No item has this barcode",
                    }
                )
                continue
            try:
                done.append((item, self._step(item, body)))
            except DomainError as exc:
                failures.append({"barcode": barcode, "code": exc.code, "detail": exc.detail})
        if failures:
            raise Conflict(
                f"{len(failures)} of {len(wanted)} barcodes refused; nothing was recorded",
                code="bulk_refused",
                failures=failures,
            )
        for item, event in done:
            self._done(Change(self.changes, item), event)
        return done

    def _done(self, change: Change[EvidenceItem], event: CustodyEvent) -> None:
        change.done(
            f"evidence.custody.{event.action}",
            detail={"seq": event.seq, "hash": event.hash},
            events=[Event("evidence.custody_changed", extra={"action": event.action})],
        )

    def _step(self, item: EvidenceItem, body: CustodyBody) -> CustodyEvent:
        step = STEPS[body.action]
        if item.status not in step.start:
            raise InvalidTransition(
                f"A {item.status} item cannot {body.action.replace('_', ' ')}",
                current_status=item.status,
                allowed=[a for a, s in STEPS.items() if item.status in s.start],
            )
        at = refuse_implausible(body.at, "at") if body.at is not None else utcnow()
        if at < item.collected_at:
            raise Unprocessable(
                "'at' is before the item was collected", code="before_intake", field="at"
            )
        names = self._target(item, body, step)
        event = custody.append(
            self.session,
            item,
            body.action,
            actor_id=self.ctx.actor.id,
            at=at,
            reason=body.reason,
            **names,
        )
        self._move(item, body, step, at)  # after the event took where the item was
        return event

    def _target(self, item: EvidenceItem, body: CustodyBody, step: Step) -> dict[str, Any]:
        field = TARGET_FIELD[step.names]
        given = {name: getattr(body, name) for name in TARGET_FIELD.values()}
        if given[field] is None or any(v is not None for k, v in given.items() if k != field):
            raise Unprocessable(
                f"{body.action} names {field} (and nothing else)",
                code="custody_target",
                field=field,
            )
        if step.names == "location":
            self.locations.storable(body.to_location, item.kind, "to_location")  # type: ignore[arg-type]
            return {"to_location_id": body.to_location}
        if step.names == "holder":
            user = UserRepository(self.session).find(body.to_holder)
            if user is None or not user.active:
                raise Unprocessable(
                    "to_holder names no active user", code="unknown_holder", field="to_holder"
                )
            if body.to_holder == item.current_holder_id:
                raise Conflict("The item is with this person already", code="same_holder")
            return {"to_holder_id": body.to_holder}
        return {"to_party": body.to_party}

    def _move(self, item: EvidenceItem, body: CustodyBody, step: Step, at: datetime) -> None:
        """The item where the step leaves it."""
        if step.to == "in_custody":
            item.current_location_id, item.current_holder_id = body.to_location, None
            item.current_party = item.checked_out_at = item.due_back_at = None
        else:
            if item.status == "in_custody":
                item.checked_out_at = at
                days = self.ctx.settings.evidence_checkout_days
                item.due_back_at = body.due_back_at or at + timedelta(days=days)
            elif body.due_back_at is not None:
                item.due_back_at = body.due_back_at
            item.current_location_id = None
            item.current_holder_id = body.to_holder
            item.current_party = body.to_party
        item.status = step.to

    # -- labels -----------------------------------------------------------------------------
    def label(self, item_id: uuid.UUID, fmt: str) -> bytes:
        item = self.get(item_id)
        report = None
        if item.report_id is not None:
            report = ReportRepository(self.session).find(item.report_id)
        day = item.collected_at.astimezone(self.ctx.settings.tz).date().isoformat()
        lines = [
            f"{item.kind.replace('_', ' ').upper()} \u00b7 {item.category.replace('_', ' ')}",
            item.description if len(item.description) <= 48 else item.description[:47] + "…",
            f"Collected {day} \u00b7 Qty {item.quantity}",
        ]
        if report is not None and report.number:
            lines.append(f"Report {report.number}")
        audit.record(
            self.session,
            self.ctx,
            "evidence.label",
            entity_type="evidence_item",
            entity_id=item.id,
            detail={"format": fmt},
        )
        return offload(labels.render, fmt, item.barcode, lines)

    # -- the chain, read --------------------------------------------------------------------
    def custody_page(self, item_id: uuid.UUID, *, limit: int, cursor: str | None):
        item = self.get(item_id)
        rows, nxt = self.repo.custody_page(item.id, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "evidence.custody.list",
            entity_type="custody_event",
            filters={"item_id": item.id, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    def verify(self, item_id: uuid.UUID) -> chain.Verdict:
        """Every link recomputed from the stored events; the last must be the item's tip."""
        item = self.get(item_id)
        events = self.repo.chain(item.id)
        verdict = chain.verify(events, expected_seq=item.custody_seq)
        if verdict.valid and verdict.head != item.custody_head:
            verdict = chain.Verdict(
                False, verdict.events, None, item.custody_seq, "the item's tip is not the chain's"
            )
        logged = log_mismatch(self.session, item.id, events)
        if logged is not None and (verdict.valid or logged < (verdict.broken_at or 0)):
            why = "the event differs from the one the transparency log took in"
            verdict = chain.Verdict(False, verdict.events, None, logged, why)
        audit.record(
            self.session,
            self.ctx,
            "evidence.custody.verify",
            entity_type="evidence_item",
            entity_id=item.id,
            detail={"valid": verdict.valid, "broken_at": verdict.broken_at},
        )
        return verdict
