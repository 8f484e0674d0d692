"""The chain of custody as a court or lab takes it: ``GET /evidence/{id}/custody/report``,
JSON (events, their proofs in the transparency log, the signed head and the public key: all
``csoapi verify-custody`` needs) or a printable PDF of the same."""

from __future__ import annotations

import uuid
from typing import Any

from fpdf import FPDF
from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.models import utcnow
from csoapi.evidence import case, chain, merkle
from csoapi.evidence.labels import latin
from csoapi.evidence.log import LogService, head_view
from csoapi.evidence.log_repository import LogRepository
from csoapi.evidence.repository import ItemRepository, LocationRepository
from csoapi.evidence.schemas import CustodyRead
from csoapi.users.repository import UserRepository

FORMAT = "csoapi-custody-report/1"


class ReportService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.items = ItemRepository(session)
        self.log = LogService(session, ctx)

    def case(self, item_id: uuid.UUID) -> dict[str, Any]:
        """The chain as CASE/UCO JSON-LD (``evidence.case``)."""
        report = self.build(item_id, action="evidence.custody.case")
        ids = {e["to_location_id"] for e in report["events"] if e["to_location_id"]}
        repo = LocationRepository(self.session)
        codes = {i: loc.code for i in sorted(ids) if (loc := repo.find(uuid.UUID(i)))}
        return case.export(report, codes)

    def build(
        self, item_id: uuid.UUID, *, action: str = "evidence.custody.report"
    ) -> dict[str, Any]:
        item = self.items.get_or_404(item_id)
        head = self.log.head()  # integrates every event so far
        events = self.items.chain(item.id)
        entries = LogRepository(self.session).entries_of(item.id)
        proofs = []
        for e in events:
            entry = entries.get(e.seq)
            if entry is not None and entry.index < head.tree_size:
                path = merkle.inclusion(self.log.get, entry.index, 0, head.tree_size)
                proofs.append(
                    {"seq": e.seq, "leaf_index": entry.index, "audit_path": [h.hex() for h in path]}
                )
        verdict = chain.verify(events, expected_seq=item.custody_seq)
        people = self._people(events)
        audit.record(
            self.session,
            self.ctx,
            "evidence.custody.report",
            entity_type="evidence_item",
            entity_id=item.id,
        )
        return {
            "format": FORMAT,
            "generated_at": chain.plain(utcnow()),
            "item": {
                "id": str(item.id),
                "barcode": item.barcode,
                "kind": item.kind,
                "category": item.category,
                "description": item.description,
                "quantity": item.quantity,
                "status": item.status,
                "collected_at": chain.plain(item.collected_at),
                "report_id": str(item.report_id) if item.report_id else None,
                "call_id": str(item.call_id) if item.call_id else None,
            },
            "events": [
                CustodyRead.model_validate(e).model_dump(mode="json")
                | {
                    "item_id": str(e.item_id),
                    "at": chain.plain(e.at),
                    "recorded_at": chain.plain(e.recorded_at),
                }
                for e in events
            ],
            "people": people,
            "log": {"head": head_view(head), "proofs": proofs},
            "public_key": self.log.key(),
            "verification": {
                "valid": verdict.valid,
                "events": verdict.events,
                "head": verdict.head,
                "broken_at": verdict.broken_at,
            },
        }

    def _people(self, events: list[Any]) -> dict[str, dict[str, str | None]]:
        ids = {i for e in events for i in (e.actor_id, e.from_holder_id, e.to_holder_id) if i}
        users = UserRepository(self.session)
        out = {}
        for user_id in sorted(ids, key=str):
            u = users.find(user_id)
            if u is not None:
                out[str(user_id)] = {"name": u.full_name, "badge": u.badge_number, "role": u.role}
        return out


def _name(people: dict[str, Any], user_id: str | None) -> str:
    if not user_id:
        return ""
    p = people.get(user_id)
    return f"{p['name']}" + (f" #{p['badge']}" if p and p.get("badge") else "") if p else user_id


def pdf(report: dict[str, Any]) -> bytes:
    """The report printed: the item, each event (who, when, from, to, why, its hash), and
    what was verified."""
    doc = FPDF(orientation="L", format="Letter")
    doc.set_auto_page_break(True, margin=12)
    doc.add_page()
    item, people = report["item"], report["people"]
    doc.set_font("helvetica", "B", 14)
    doc.cell(0, 8, latin(f"Chain of custody - {item['barcode']}"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("helvetica", size=9)
    for text in (
        f"{item['kind']} / {item['category']} / qty {item['quantity']} / status {item['status']}",
        item["description"],
        f"Collected {item['collected_at']}. Generated {report['generated_at']}.",
    ):
        doc.multi_cell(0, 5, latin(text), new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    widths = (10, 20, 42, 45, 45, 60, 45)
    with doc.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
        table.row(["Seq", "Action", "At (UTC)", "By", "To", "Reason", "Hash (first 16)"])
        for e in report["events"]:
            to = _name(people, e["to_holder_id"]) or e["to_party"] or e["to_location_id"] or ""
            table.row(
                [
                    str(e["seq"]),
                    e["action"],
                    e["at"],
                    _name(people, e["actor_id"]),
                    latin(str(to)),
                    latin(e["reason"] or ""),
                    e["hash"][:16],
                ]
            )
    doc.ln(3)
    v, head = report["verification"], report["log"]["head"]
    lines = [
        f"Chain verified: {'valid' if v['valid'] else 'BROKEN at seq ' + str(v['broken_at'])}; "
        f"{v['events']} events; head {v['head']}",
        f"Transparency log head: tree size {head['tree_size']}, root {head['root_hash']}, "
        f"{head['timestamp']}",
        f"Signature (Ed25519): {head['signature']}",
        f"Public key: {report['public_key']['public_key']}",
        "Check it yourself: csoapi verify-custody <the JSON report> --public-key <key>",
    ]
    for text in lines:
        doc.multi_cell(0, 5, latin(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
