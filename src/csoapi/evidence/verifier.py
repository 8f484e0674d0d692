"""The stand-alone check of an exported custody report (``GET /evidence/{id}/custody/report``,
``csoapi verify-custody FILE``): no database, no server, only the file and the public key.

It recomputes every event's hash from its fields (RFC 8785 canonical JSON, SHA-256) and each
link to the one before; checks each event's inclusion proof against the report's signed head
(RFC 9162 §2.1.3.2); and checks the head's Ed25519 signature with the public key — the one
given (taken from a trusted source: the agency's published key), else the report's own, which
is then said. A head kept from earlier can be given as well: it must then be the report's head
or, for the same tree size, have the same root."""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from csoapi.evidence import chain, merkle, signing


def _event(raw: dict[str, Any]) -> SimpleNamespace:
    fields = {name: raw.get(name) for name in chain.FIELDS}
    for name in ("at", "recorded_at"):
        fields[name] = datetime.fromisoformat(str(raw[name]))
    for name in (
        "item_id",
        "actor_id",
        "from_holder_id",
        "to_holder_id",
        "from_location_id",
        "to_location_id",
    ):
        if fields[name] is not None:
            fields[name] = uuid.UUID(str(fields[name]))
    fields["detail"] = raw.get("detail") or {}
    return SimpleNamespace(**fields, hash=raw.get("hash"))


def _head_ok(head: dict[str, Any], key: str) -> bool:
    doc = {k: head.get(k) for k in ("root_hash", "timestamp", "tree_size")}
    return signing.verify(key, doc, str(head.get("signature", "")))


def verify_report(
    report: dict[str, Any],
    *,
    public_key: str | None = None,
    kept_head: dict[str, Any] | None = None,
) -> tuple[bool, list[str]]:
    """(everything holds, what was checked or found: one line each)."""
    lines: list[str] = []
    ok = True
    events = [_event(e) for e in report.get("events", [])]
    verdict = chain.verify(events, expected_seq=len(events) or None)
    if verdict.valid:
        lines.append(f"chain: {verdict.events} events link and hash correctly; head {verdict.head}")
    else:
        ok = False
        lines.append(f"chain: BROKEN at seq {verdict.broken_at} ({verdict.why})")
    log = report.get("log") or {}
    head = log.get("head") or {}
    key = public_key or (report.get("public_key") or {}).get("public_key")
    if not key:
        return False, [*lines, "head: no public key to check it with"]
    if _head_ok(head, key):
        source = (
            "the given key" if public_key else "the key in the report (check it is the agency's)"
        )
        lines.append(f"head: tree size {head.get('tree_size')} signed, verified with {source}")
    else:
        ok = False
        lines.append("head: signature does NOT verify")
    by_seq = {e.seq: e for e in events}
    root = bytes.fromhex(str(head.get("root_hash", "")))
    proved = 0
    for proof in log.get("proofs", []):
        event = by_seq.get(proof.get("seq"))
        path = [bytes.fromhex(p) for p in proof.get("audit_path", [])]
        leaf = merkle.leaf_hash(bytes.fromhex(event.hash)) if event and event.hash else b""
        if event is None or not merkle.verify_inclusion(
            int(proof["leaf_index"]), int(head.get("tree_size", 0)), leaf, path, root
        ):
            ok = False
            lines.append(f"log: event seq {proof.get('seq')} is NOT in the signed tree")
        else:
            proved += 1
    missing = sorted(set(by_seq) - {p.get("seq") for p in log.get("proofs", [])})
    lines.append(
        f"log: {proved} events proved in the signed tree"
        + (f"; not yet logged: seq {missing}" if missing else "")
    )
    if kept_head is not None:
        if not _head_ok(kept_head, key):
            ok = False
            lines.append("kept head: signature does NOT verify")
        elif kept_head.get("tree_size") == head.get("tree_size") and kept_head.get(
            "root_hash"
        ) != head.get("root_hash"):
            ok = False
            lines.append("kept head: SAME SIZE, DIFFERENT ROOT: the log was rewritten")
        else:
            lines.append(f"kept head: tree size {kept_head.get('tree_size')} verified")
    return ok, lines
