"""Property-room audits (IAPE Standard 21): a random sample of the items in custody in a
scope, high-risk items at no less than the rule file's rate (``audits.json``), checked file →
shelf (each sampled item scanned where the records say it is) and shelf → file (anything
scanned on a shelf checked against the records); closed with a summary of every
discrepancy, its SHA-256 and the evidence key's signature.

The sample is drawn with a seed kept on the audit, from the population in barcode order, so
anyone can draw it again and see it was not picked by hand."""

from __future__ import annotations

import hashlib
import math
import random
import secrets
import uuid
from typing import Any

import rfc8785
from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.evidence import signing
from csoapi.evidence.audit_schemas import AuditCreate, AuditRead, ScanBody
from csoapi.evidence.models import EvidenceAudit, EvidenceAuditLine, EvidenceItem
from csoapi.evidence.repository import AuditRepository, ItemRepository, LocationRepository
from csoapi.evidence.rules import audit_rates as rates

DISCREPANCIES = ("misplaced", "missing", "unexpected", "unknown")


def sample_size(population: int, percent: int) -> int:
    """``percent`` of ``population``, rounded up (a 10 % sample of 3 items is 1 item)."""
    return math.ceil(population * percent / 100)


def draw(items: list[EvidenceItem], percent: int, seed: str) -> list[EvidenceItem]:
    """The sample: ``percent`` of ``items``, drawn with ``seed`` from barcode order."""
    ordered = sorted(items, key=lambda i: i.barcode)
    rng = random.Random(f"{seed}:{percent}")  # noqa: S311 - reproducible by design, not secret
    return rng.sample(ordered, sample_size(len(ordered), percent))


def _payload(a: EvidenceAudit) -> dict[str, Any]:
    return {"id": str(a.id), "status": a.status, "trigger": a.trigger, "version": a.version}


AUDIT: Entity[EvidenceAudit] = Entity(
    "evidence_audit", read_scope="evidence:read", payload=_payload
)


class AuditService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = AuditRepository(session)
        self.items = ItemRepository(session)
        self.locations = LocationRepository(session)
        self.changes = Changes(
            session, ctx, AUDIT, lock=lambda key: self.repo.get_or_404(key, for_update=True)
        )

    def open(self, data: AuditCreate) -> EvidenceAudit:
        if not self.ctx.actor.is_user:
            raise Forbidden("Audits are made by people", code="users_only")
        high = data.high_risk_percent or rates()["high_risk_min_percent"]["percent"]
        other = data.other_percent
        other = rates()["other_default_percent"]["percent"] if other is None else other
        scope = None
        if data.location_id is not None:
            if self.locations.find(data.location_id) is None:
                raise Unprocessable(
                    "location_id names no location", code="unknown_location", field="location_id"
                )
            scope = self.locations.below(data.location_id)
        a = EvidenceAudit(
            trigger=data.trigger,
            method=data.method,
            location_id=data.location_id,
            high_risk_percent=high,
            other_percent=other,
            seed=secrets.token_hex(16),
            opened_by=self.ctx.actor.id,
        )
        self.repo.add(a)
        if data.method != "shelf_to_file":
            self._sample(a, self.repo.in_custody(scope))
        audit.record(
            self.session,
            self.ctx,
            "evidence_audit.open",
            entity_type="evidence_audit",
            entity_id=a.id,
            detail={"trigger": a.trigger, "seed": a.seed},
        )
        return a

    def _sample(self, a: EvidenceAudit, population: list[EvidenceItem]) -> None:
        high = [i for i in population if i.high_risk]
        other = [i for i in population if not i.high_risk]
        chosen = draw(high, a.high_risk_percent, a.seed) + draw(other, a.other_percent, a.seed)
        for item in chosen:
            self.repo.add(
                EvidenceAuditLine(
                    audit_id=a.id,
                    barcode=item.barcode,
                    item_id=item.id,
                    high_risk=item.high_risk,
                    sampled=True,
                    expected_location_id=item.current_location_id,
                ),
                flush=False,
            )
        self.session.flush()

    def scan(self, audit_id: uuid.UUID, data: ScanBody) -> EvidenceAudit:
        change = self.changes.begin(audit_id)
        a = change.row
        if a.status != "open":
            raise Conflict("The audit is closed", code="audit_closed")
        if a.opened_by != self.ctx.actor.id:
            raise Forbidden("The auditor who opened it scans it", code="auditor_only")
        lines = {ln.barcode: ln for ln in self.repo.lines(a.id)}
        for scan in data.scans:
            if self.locations.find(scan.location_id) is None:
                raise Unprocessable(
                    "location_id names no location", code="unknown_location", field="scans"
                )
            self._record(a, lines, scan.barcode, scan.location_id)
        self.session.flush()
        change.done("evidence_audit.scan", detail={"scans": len(data.scans)})
        return a

    def _record(
        self, a: EvidenceAudit, lines: dict[str, EvidenceAuditLine], barcode: str, where: uuid.UUID
    ) -> None:
        line = lines.get(barcode)
        if line is None:
            if a.method == "file_to_shelf":
                raise Conflict(
                    f"{barcode} is not in this file-to-shelf sample", code="not_in_sample"
                )
            item = (self.items.by_barcodes([barcode], for_update=False) or [None])[0]
            line = EvidenceAuditLine(
                audit_id=a.id,
                barcode=barcode,
                item_id=item.id if item else None,
                high_risk=bool(item and item.high_risk),
                sampled=False,
                expected_location_id=item.current_location_id if item else None,
            )
            self.repo.add(line, flush=False)
            lines[barcode] = line
        item = self.items.find(line.item_id) if line.item_id else None
        line.scanned_location_id, line.scanned_at, line.scanned_by = (
            where,
            utcnow(),
            self.ctx.actor.id,
        )
        if item is None:
            line.result = "unknown"
        elif item.status != "in_custody":
            line.result = "unexpected"  # the records say it is out, or gone
        else:
            line.result = "found" if where == line.expected_location_id else "misplaced"

    def close(self, audit_id: uuid.UUID, if_match: str | None) -> EvidenceAudit:
        change = self.changes.begin(audit_id, if_match)
        a = change.row
        if a.status != "open":
            raise Conflict("The audit is closed", code="audit_closed")
        lines = self.repo.lines(a.id)
        for line in lines:
            if line.result == "pending":
                line.result = "missing"
        a.status, a.closed_by, a.closed_at = "closed", self.ctx.actor.id, utcnow()
        a.summary = self._summary(a, lines)
        a.summary_hash = hashlib.sha256(rfc8785.dumps(a.summary)).hexdigest()
        a.signature = signing.sign(self.ctx.settings, a.summary)
        return change.done(
            "evidence_audit.close",
            detail={"summary_hash": a.summary_hash},
            events=[Event("evidence.audit_closed")],
        )

    def _summary(self, a: EvidenceAudit, lines: list[EvidenceAuditLine]) -> dict[str, Any]:
        counts = {r: sum(1 for ln in lines if ln.result == r) for r in ("found", *DISCREPANCIES)}
        return {
            "audit_id": str(a.id),
            "trigger": a.trigger,
            "method": a.method,
            "location_id": str(a.location_id) if a.location_id else None,
            "seed": a.seed,
            "high_risk_percent": a.high_risk_percent,
            "other_percent": a.other_percent,
            "sampled": {
                "high_risk": sum(1 for ln in lines if ln.sampled and ln.high_risk),
                "other": sum(1 for ln in lines if ln.sampled and not ln.high_risk),
            },
            "results": counts,
            "discrepancies": [
                {
                    "barcode": ln.barcode,
                    "result": ln.result,
                    "expected_location_id": str(ln.expected_location_id)
                    if ln.expected_location_id
                    else None,
                    "scanned_location_id": str(ln.scanned_location_id)
                    if ln.scanned_location_id
                    else None,
                }
                for ln in sorted(lines, key=lambda ln: ln.barcode)
                if ln.result in DISCREPANCIES
            ],
            "opened_by": str(a.opened_by),
            "opened_at": a.created_at.isoformat(),
            "closed_by": str(a.closed_by),
            "closed_at": a.closed_at.isoformat() if a.closed_at else None,
        }

    def read(self, audit_id: uuid.UUID) -> AuditRead:
        a = self.repo.get_or_404(audit_id)
        lines = sorted(self.repo.lines(a.id), key=lambda ln: ln.barcode)
        audit.record(
            self.session,
            self.ctx,
            "evidence_audit.read",
            entity_type="evidence_audit",
            entity_id=a.id,
        )
        fields = {
            f: getattr(a, f) for f in AuditRead.model_fields if f not in ("lines", "discrepancies")
        }
        return AuditRead.model_validate(
            fields
            | {
                "lines": lines,
                "discrepancies": [ln for ln in lines if ln.result in DISCREPANCIES],
            },
            from_attributes=True,
        )
