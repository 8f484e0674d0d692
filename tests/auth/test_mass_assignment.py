"""Mass assignment (OWASP API3:2023, property level), operation by operation: no request body
can set what the server owns. Every object in every JSON request body the OpenAPI document
describes is closed (``additionalProperties: false``: an unknown member is a 422, which
schemathesis's negative examples also send), and none of them names a server-owned field
(versions, authors, sequence numbers, hashes, money owed or paid); ``status`` only in the
bodies whose purpose is to ask for a state (a transition, or a record the standard lets its
author create in a state). Then, through HTTP, a body that tries is refused and changes
nothing. New operations are walked as they are added."""

from __future__ import annotations

from typing import Any

import pytest

from csoapi.main import create_app
from tests.calls.helpers import CALLS, call_body
from tests.conftest import make_settings
from tests.factories import assert_problem, bearer, create_user, token_for

# Fields the server alone sets, wherever they appear in a resource.
SERVER_OWNED = {
    "version",
    "etag",
    "issued_by",
    "created_by",
    "created_at",
    "updated_at",
    "submitted_by",
    "approved_by",
    "seq",
    "hash",
    "prev_hash",
    "entry_hash",
    "leaf_hash",
    "root_hash",
    "amount_due_cents",
    "balance_cents",
    "paid_cents",
    "total_due_cents",
}
# `status` in a request body: the transitions (the body names the state asked for), an HSDS
# service's own status (an attribute of the directory entry, HSDS 3.0), and a referral, which
# FHIR SDOHCC lets its author create as `draft` or `requested` (the service refuses others).
STATUS_ALLOWED = {
    "POST /api/v1/calls/{call_id}/status",
    "POST /api/v1/impounds/{impound_id}/status",
    "POST /api/v1/referrals/{referral_id}/status",
    "POST /api/v1/assignments/{assignment_id}/status",
    "POST /api/v1/fleet/{item_id}/status",
    "POST /api/v1/services",
    "PATCH /api/v1/services/{service_id}",
    "POST /api/v1/referrals",
    "POST /api/v1/calls/{call_id}/hand-off",
    # An outreach event's status (scheduled, held, cancelled) is its organiser's to set: no
    # approval or rule follows from it, and a cancelled event is how one is taken back.
    "POST /api/v1/outreach/events",
    "PATCH /api/v1/outreach/events/{event_id}",
}


def _document() -> dict[str, Any]:
    return create_app(make_settings("sqlite://")).openapi()


DOC = _document()


def _objects(schema: dict[str, Any], seen: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every object schema reachable from a request body, with the name it is known by."""
    found: list[tuple[str, dict[str, Any]]] = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            target = DOC["components"]["schemas"][name]
            found += [(name, o) for _, o in _objects(target, seen)]
        return found
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += _objects(part, seen)
    if isinstance(schema.get("items"), dict):
        found += _objects(schema["items"], seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _objects(schema["additionalProperties"], seen)
    if "properties" in schema:
        found.append(("", schema))
        for sub in schema["properties"].values():
            found += _objects(sub, seen)
    return found


def _bodies() -> list[tuple[str, dict[str, Any]]]:
    bodies = []
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            content = (op.get("requestBody") or {}).get("content", {})
            for media, body in content.items():
                if media.endswith("json"):
                    bodies.append((f"{method.upper()} {path}", body["schema"]))
    return bodies


BODIES = _bodies()


def test_the_walk_covers_the_writes():
    assert len(BODIES) >= 60


@pytest.mark.parametrize(("label", "schema"), BODIES, ids=[b[0] for b in BODIES])
def test_no_body_can_set_what_the_server_owns(label, schema):
    for name, obj in _objects(schema, set()):
        assert obj.get("additionalProperties") is False, f"{label}: {name} takes any member"
        owned = SERVER_OWNED & set(obj["properties"])
        assert not owned, f"{label}: {name} lets a client set {sorted(owned)}"
        if "status" in obj["properties"]:
            assert label in STATUS_ALLOWED, f"{label}: {name} lets a client set its status"


async def test_a_body_that_tries_is_refused_and_changes_nothing(client, db, settings):
    cso = create_user(db, settings, "cso")
    head = bearer(token_for(db, settings, cso))
    for owned in ({"status": "closed"}, {"version": 7}, {"created_by": "someone"}):
        r = await client.post(CALLS, json=call_body(**owned), headers=head)
        body = assert_problem(r, 422, "validation_error")
        assert any(e["loc"][-1] in owned for e in body["errors"]), body
    listed = await client.get(CALLS, headers=head)
    assert listed.status_code == 200 and listed.json()["items"] == []
    made = await client.post(CALLS, json=call_body(), headers=head)
    assert made.status_code == 201, made.text
    call = made.json()
    patched = await client.patch(
        f"{CALLS}/{call['id']}",
        json={"description": "Still there", "status": "closed", "version": 99},
        headers=head | {"If-Match": made.headers["etag"]},
    )
    assert_problem(patched, 422, "validation_error")
    again = (await client.get(f"{CALLS}/{call['id']}", headers=head)).json()
    assert (again["status"], again["description"]) == (call["status"], call["description"])
