"""The chain of custody as CASE/UCO JSON-LD (the Cyber-investigation Analysis Standard
Expression, CASE 1.x on UCO 1.x: the forensic community's interchange format), for labs and
tools that read it: the item as an observable object, each custody event as an
investigative action (performer, participants, location, time, reason) whose result is a
provenance record with the item's exhibit number, each action's object being the record the
action before it left; every event's hash and the hash it links to as external references.
Node identifiers end in UUIDs, as UCO asks."""

from __future__ import annotations

import uuid
from typing import Any

CONTEXT = {
    "kb": "urn:csoapi:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
NS = uuid.UUID("6f1d7c52-8c1e-4b8a-9a57-0b6f4c8e2d10")  # derived node ids (uuid5)
HASH_CONTEXT = "csoapi custody event hash: SHA-256 over the RFC 8785 canonical JSON of the event"


def _ref(kind: str, key: Any) -> str:
    return f"kb:{kind}-{key}"


def _derived(kind: str, key: str) -> str:
    return _ref(kind, uuid.uuid5(NS, f"{kind}:{key}"))


def _time(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


def export(report: dict[str, Any], locations: dict[str, str]) -> dict[str, Any]:
    """``report``: ``ReportService.build``'s; ``locations``: location id → code."""
    item = report["item"]
    item_ref = _ref("item", item["id"])
    graph: list[dict[str, Any]] = [
        {
            "@id": item_ref,
            "@type": "uco-observable:ObservableObject",
            "uco-core:name": item["barcode"],
            "uco-core:description": f"{item['kind']} ({item['category']}), quantity "
            f"{item['quantity']}: {item['description']}",
        }
    ]
    for person_id, p in report["people"].items():
        name = p["name"] + (f" (badge {p['badge']})" if p.get("badge") else "")
        graph.append(
            {
                "@id": _ref("person", person_id),
                "@type": "uco-identity:Person",
                "uco-core:name": name,
            }
        )
    for location_id, code in locations.items():
        graph.append(
            {
                "@id": _ref("location", location_id),
                "@type": "uco-location:Location",
                "uco-core:name": code,
            }
        )
    previous = item_ref
    for e in report["events"]:
        graph.extend(_action(e, item, previous))
        previous = _derived("provenance", e["hash"])
    return {"@context": CONTEXT, "@graph": graph}


def _action(e: dict[str, Any], item: dict[str, Any], previous: str) -> list[dict[str, Any]]:
    record = _derived("provenance", e["hash"])
    refs = [_derived("hash", e["hash"]), _derived("prev", e["hash"])]
    action: dict[str, Any] = {
        "@id": _ref("action", e["id"]),
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": f"custody {e['seq']}: {e['action']}",
        "uco-action:startTime": _time(e["at"]),
        "uco-action:endTime": _time(e["at"]),
        "uco-action:performer": {"@id": _ref("person", e["actor_id"])},
        "uco-action:object": [{"@id": previous}],
        "uco-action:result": [{"@id": record}],
        "uco-core:externalReference": [{"@id": r} for r in refs],
    }
    if e.get("reason"):
        action["uco-core:description"] = e["reason"]
    if e.get("to_holder_id"):
        action["uco-action:participant"] = [{"@id": _ref("person", e["to_holder_id"])}]
    if e.get("to_location_id"):
        action["uco-action:location"] = [{"@id": _ref("location", e["to_location_id"])}]
    nodes = [
        action,
        {
            "@id": record,
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": item["barcode"],
            "uco-core:description": f"After custody event {e['seq']} ({e['action']})"
            + (f", with {e['to_party']}" if e.get("to_party") else ""),
            "uco-core:object": [{"@id": _ref("item", item["id"])}],
        },
        {
            "@id": refs[0],
            "@type": "uco-core:ExternalReference",
            "uco-core:definingContext": HASH_CONTEXT,
            "uco-core:externalIdentifier": e["hash"],
        },
        {
            "@id": refs[1],
            "@type": "uco-core:ExternalReference",
            "uco-core:definingContext": "csoapi custody event prev_hash: the hash of the event "
            "before it (64 zeros for the first)",
            "uco-core:externalIdentifier": e["prev_hash"],
        },
    ]
    return nodes
