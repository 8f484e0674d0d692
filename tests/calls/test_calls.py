from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from csoapi.calls.service import TRANSITIONS
from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from tests.calls.helpers import CALLS, act, call_body, create_call, to_state
from tests.factories import assert_problem, bearer, create_user, headers_for, token_for

STATES = ["received", "dispatched", "en_route", "on_scene", "cleared", "cancelled", "escalated"]


@pytest.fixture
def people(db, settings):
    cso = create_user(db, settings, "cso")
    other_cso = create_user(db, settings, "cso")
    sergeant = create_user(db, settings, "sergeant")
    return {
        "cso": bearer(token_for(db, settings, cso)),
        "cso_id": str(cso.id),
        "other_cso": bearer(token_for(db, settings, other_cso)),
        "sergeant": bearer(token_for(db, settings, sergeant)),
        "sergeant_id": str(sergeant.id),
        "records": headers_for(db, settings, "records"),
        "cad": headers_for(db, settings, "cad"),
        "portal": headers_for(db, settings, "payment_portal"),
    }


async def test_anonymous_and_wrong_role(client, people):
    assert_problem(await client.post(CALLS, json=call_body()), 401)
    assert_problem(await client.get(CALLS), 401)
    assert_problem(await client.post(CALLS, json=call_body(), headers=people["records"]), 403)
    assert_problem(await client.get(CALLS, headers=people["portal"]), 403)
    call = await create_call(client, people["cad"], source="cad", external_id="E1")
    r = await act(client, people["cso"], call, "assign", {"assigned_to": people["cso_id"]})
    assert_problem(r, 403, "insufficient_scope")
    assert (await client.get(f"{CALLS}/{call['id']}", headers=people["records"])).status_code == 200


async def test_cad_creates_a_call(client, db, people):
    r = await client.post(
        CALLS,
        json=call_body(
            source="cad", external_id="E23010000001", received_at="2026-11-20T08:15:00-08:00"
        ),
        headers=people["cad"],
    )
    assert r.status_code == 201, r.text
    call = r.json()
    assert re.fullmatch(r"CFS26-\d{6}", call["number"])
    assert call["status"] == "received" and call["priority"] == 4  # PARKING's default
    assert call["received_at"] == "2026-11-20T16:15:00Z"
    assert call["caller"] == {"name": "Pat Caller", "phone": "619-555-0100"}
    assert call["location"]["beat"] == "521"
    assert r.headers["etag"] == '"1"' and r.headers["location"] == f"/api/v1/calls/{call['id']}"
    ev = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == call["id"])).one()
    assert ev.type == "call.created" and ev.read_scope == "calls:read"
    assert "Pat Caller" not in str(ev.payload) and "619-555" not in str(ev.payload)
    second = await create_call(client, people["cad"], source="cad", external_id="E23010000002")
    assert int(second["number"][-6:]) == int(call["number"][-6:]) + 1


async def test_duplicate_external_id(client, people):
    first = await create_call(client, people["cad"], source="cad", external_id="E-77")
    r = await client.post(
        CALLS, json=call_body(source="cad", external_id="E-77"), headers=people["cad"]
    )
    body = assert_problem(r, 409, "duplicate_external_id")
    assert body["existing_id"] == first["id"] and body["existing_number"] == first["number"]
    # The same number from another source is another call.
    await create_call(client, people["cad"], source="online", external_id="E-77")


async def test_idempotent_create(client, db, people):
    h = people["cad"] | {"Idempotency-Key": "cad-msg-991"}
    first = await client.post(CALLS, json=call_body(source="cad", external_id="X1"), headers=h)
    again = await client.post(CALLS, json=call_body(source="cad", external_id="X1"), headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    r = await client.post(CALLS, json=call_body(source="cad", external_id="X2"), headers=h)
    assert_problem(r, 422, "idempotency_key_reused")


async def test_bad_input(client, people):
    cad = people["cad"]
    assert_problem(
        await client.post(CALLS, json=call_body(call_type="NOPE"), headers=cad),
        422,
        "unknown_call_type",
    )
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert_problem(
        await client.post(CALLS, json=call_body(received_at=future), headers=cad),
        422,
        "time_in_future",
    )
    # Year 1 at +01:00 is before datetime's first UTC instant; 05:00Z, year 0 in the agency's
    # zone: times no record has, refused before they reach any arithmetic.
    for early in ("1899-12-31T23:59:59Z", "0001-01-01T05:00:00Z", "0001-01-01T00:00:30+01:00"):
        assert_problem(
            await client.post(CALLS, json=call_body(received_at=early), headers=cad),
            422,
            "time_too_early",
        )
    for bad in (
        call_body(received_at="2026-11-20T08:15:00"),
        call_body(priority=5),
        call_body(source="fax"),
        call_body(location={"address": " "}),
        call_body(location={"address": "x", "lat": 91}),
        call_body(extra=1),
        call_body(caller={"phone": "call me"}),
        call_body(received_at=1700000000),
    ):
        assert_problem(await client.post(CALLS, json=bad, headers=cad), 422, "validation_error")


async def test_on_view_field_call_starts_on_scene(client, people):
    call = await create_call(client, people["cso"], source="field", call_type="ABANDONED_VEHICLE")
    assert call["status"] == "on_scene" and call["assigned_to"] == people["cso_id"]
    assert call["dispatched_at"] == call["on_scene_at"] == call["received_at"]
    r = await act(
        client, people["cso"], call, "status", {"status": "cleared", "disposition": "TOWED"}
    )
    assert r.status_code == 200 and r.json()["disposition"] == "TOWED"


async def test_the_whole_lifecycle_with_stamps(client, db, people):
    cso = people["cso"]
    call = await create_call(client, people["cad"], source="cad", external_id="LC-1")
    r = await act(client, people["cad"], call, "assign", {"assigned_to": people["cso_id"]})
    assert r.status_code == 200 and r.json()["status"] == "dispatched"
    call = r.json()
    t0 = datetime.fromisoformat(call["dispatched_at"])
    r = await act(
        client,
        cso,
        call,
        "status",
        {"status": "en_route", "at": (t0 + timedelta(seconds=30)).isoformat()},
    )
    assert r.status_code == 200 and r.json()["en_route_at"] == (
        t0 + timedelta(seconds=30)
    ).isoformat().replace("+00:00", "Z")
    r = await act(client, cso, call, "status", {"status": "on_scene"})
    assert r.status_code == 200
    r = await act(client, cso, call, "status", {"status": "cleared"})
    assert_problem(r, 422, "disposition_required")
    r = await act(client, cso, call, "status", {"status": "cleared", "disposition": "NOT_A_CODE"})
    assert_problem(r, 422, "unknown_disposition")
    r = await act(
        client,
        cso,
        call,
        "status",
        {"status": "cleared", "disposition": "CITATION_ISSUED"},
        if_match='"1"',
    )
    assert_problem(r, 412, "etag_mismatch")
    r = await act(
        client, cso, call, "status", {"status": "cleared", "disposition": "CITATION_ISSUED"}
    )
    assert r.status_code == 200, r.text
    final = r.json()
    assert final["status"] == "cleared" and final["disposition"] == "CITATION_ISSUED"
    stamps = [
        final[k]
        for k in ("received_at", "dispatched_at", "en_route_at", "on_scene_at", "cleared_at")
    ]
    assert stamps == sorted(stamps)
    types = db.scalars(
        sa.select(OutboxEvent.type)
        .where(OutboxEvent.entity_id == call["id"])
        .order_by(OutboxEvent.id)
    ).all()
    assert types == [
        "call.created",
        "call.assigned",
        "call.status_changed",
        "call.status_changed",
        "call.status_changed",
        "call.status_changed",
    ]


@pytest.mark.parametrize("state", STATES)
async def test_every_transition_from_every_state(client, people, state):
    sergeant = people["sergeant"]
    targets = {
        "en_route": ("status", {"status": "en_route"}),
        "on_scene": ("status", {"status": "on_scene"}),
        "cleared": ("status", {"status": "cleared", "disposition": "ADVISED"}),
        "cancelled": ("status", {"status": "cancelled"}),
        "escalated": ("escalate", {"reason": "Needs a sworn officer"}),
    }
    from csoapi.calls.schemas import CallStatus

    allowed = {s.value for s in TRANSITIONS[CallStatus(state)]}
    for target, (action, body) in targets.items():
        call = await to_state(client, sergeant, people["cso_id"], state)
        r = await act(client, sergeant, call, action, body)
        if target in allowed:
            assert r.status_code == 200, (state, target, r.text)
            assert r.json()["status"] == target
        else:
            problem = assert_problem(r, 409, "invalid_transition")
            assert problem["allowed"] == sorted(allowed, key=[s.value for s in CallStatus].index)
            assert problem["current_status"] == state


async def test_transition_times(client, people):
    call = await to_state(client, people["sergeant"], people["cso_id"], "dispatched")
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    r = await act(client, people["cso"], call, "status", {"status": "en_route", "at": future})
    assert_problem(r, 422, "time_in_future")
    before = (datetime.fromisoformat(call["dispatched_at"]) - timedelta(minutes=1)).isoformat()
    r = await act(client, people["cso"], call, "status", {"status": "en_route", "at": before})
    assert_problem(r, 422, "time_before_previous")
    r = await act(
        client, people["cso"], call, "status", {"status": "en_route", "at": "2026-01-01T00:00:00"}
    )
    assert_problem(r, 422, "validation_error")


async def test_cso_acts_only_on_own_calls(client, people):
    call = await to_state(client, people["sergeant"], people["cso_id"], "dispatched")
    r = await act(client, people["other_cso"], call, "status", {"status": "en_route"})
    assert_problem(r, 403, "not_assigned_to_you")
    assert_problem(await act(client, people["other_cso"], call, "escalate", {"reason": "x"}), 403)
    assert (
        await act(client, people["cso"], call, "status", {"status": "en_route"})
    ).status_code == 200
    assert (
        await act(client, people["cad"], call, "status", {"status": "on_scene"})
    ).status_code == 200


async def test_escalation(client, db, people):
    call = await to_state(client, people["sergeant"], people["cso_id"], "on_scene")
    assert_problem(await act(client, people["cso"], call, "escalate", {}), 422, "validation_error")
    r = await act(client, people["cso"], call, "escalate", {"reason": "Subject has a weapon"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "escalated" and body["escalation_reason"] == "Subject has a weapon"
    assert body["escalated_at"] is not None
    types = db.scalars(sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == call["id"])).all()
    assert "call.escalated" in types


async def test_assignment_rules(client, db, settings, people):
    call = await create_call(client, people["cad"])
    records = create_user(db, settings, "records")
    r = await act(client, people["cad"], call, "assign", {"assigned_to": str(records.id)})
    assert_problem(r, 422, "invalid_assignee")
    r = await act(client, people["cad"], call, "assign", {"assigned_to": people["cso_id"]})
    assert r.status_code == 200
    etag = r.headers["etag"]
    # Reassigning needs the current ETag: without it 409, with a stale one 412.
    r = await act(
        client, people["sergeant"], call, "assign", {"assigned_to": people["sergeant_id"]}
    )
    body = assert_problem(r, 409, "already_assigned")
    assert body["assigned_to"] == people["cso_id"]
    r = await act(
        client,
        people["sergeant"],
        call,
        "assign",
        {"assigned_to": people["sergeant_id"]},
        if_match='"1"',
    )
    assert_problem(r, 412, "etag_mismatch")
    r = await act(
        client,
        people["sergeant"],
        call,
        "assign",
        {"assigned_to": people["sergeant_id"]},
        if_match=etag,
    )
    assert r.status_code == 200 and r.json()["assigned_to"] == people["sergeant_id"]
    assert r.json()["status"] == "dispatched"
    closed = await to_state(client, people["sergeant"], people["cso_id"], "cancelled")
    r = await act(client, people["cad"], closed, "assign", {"assigned_to": people["cso_id"]})
    assert_problem(r, 409, "call_closed")


async def test_patch_call(client, people):
    call = await create_call(client, people["cad"])
    url = f"{CALLS}/{call['id']}"
    assert_problem(await client.patch(url, json={"priority": 1}, headers=people["cso"]), 428)
    r = await client.patch(
        url,
        json={
            "priority": 1,
            "call_type": "NOISE",
            "caller": None,
            "location": {"address": "5 Main St", "beat": "122"},
        },
        headers=people["cso"] | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["priority"], body["call_type"], body["caller"]) == (1, "NOISE", None)
    assert body["location"] == {"address": "5 Main St", "lat": None, "lon": None, "beat": "122"}
    assert_problem(
        await client.patch(url, json={"priority": 2}, headers=people["cso"] | {"If-Match": '"1"'}),
        412,
    )
    assert_problem(
        await client.patch(
            url, json={"call_type": "NOPE"}, headers=people["cso"] | {"If-Match": '"2"'}
        ),
        422,
        "unknown_call_type",
    )
    done = await to_state(client, people["sergeant"], people["cso_id"], "cleared")
    r = await client.patch(
        f"{CALLS}/{done['id']}",
        json={"priority": 2},
        headers=people["sergeant"] | {"If-Match": f'"{done["version"]}"'},
    )
    assert_problem(r, 409, "call_closed")


async def test_list_filters_and_pages(client, people):
    cad = people["cad"]
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    made = []
    for i in range(12):
        made.append(
            await create_call(
                client,
                cad,
                call_type="NOISE" if i % 3 == 0 else "PARKING",
                priority=1 + i % 4,
                location={"address": f"{i} Elm", "beat": "B1" if i < 6 else "B2"},
                received_at=(base + timedelta(minutes=i // 2)).isoformat(),
            )
        )  # pairs share a time
    r = await act(client, people["sergeant"], made[0], "assign", {"assigned_to": people["cso_id"]})
    assert r.status_code == 200

    async def ids(**params):
        out, cursor = [], None
        while True:
            q = params | ({"cursor": cursor} if cursor else {})
            body = (await client.get(CALLS, params=q, headers=people["cso"])).json()
            out += [c["id"] for c in body["items"]]
            assert "caller" not in (body["items"][0] if body["items"] else {})
            cursor = body["next_cursor"]
            if not cursor:
                return out

    window = {
        "received_from": base.isoformat(),
        "received_to": (base + timedelta(hours=1)).isoformat(),
    }
    everything = await ids(limit=5, **window)
    assert sorted(everything) == sorted(c["id"] for c in made) and len(set(everything)) == 12
    times = [next(c["received_at"] for c in made if c["id"] == i) for i in everything]
    assert times == sorted(times, reverse=True)
    assert set(await ids(call_type="NOISE", **window)) == {c["id"] for c in made[::3]}
    assert set(await ids(beat="B2", **window)) == {c["id"] for c in made[6:]}
    assert set(await ids(priority=1, **window)) == {c["id"] for c in made[::4]}
    assert await ids(assigned_to="me", **window) == [made[0]["id"]]
    assert await ids(assigned_to=people["cso_id"], status="dispatched", **window) == [made[0]["id"]]
    late = await ids(
        received_from=(base + timedelta(minutes=5)).isoformat(), received_to=window["received_to"]
    )
    assert set(late) == {made[10]["id"], made[11]["id"]}
    for bad in (
        {"status": "open"},
        {"priority": 9},
        {"assigned_to": "someone"},
        {"received_from": "yesterday"},
    ):
        assert_problem(await client.get(CALLS, params=bad, headers=people["cso"]), 422)


async def test_notes_timeline_and_read_audit(client, db, people):
    call = await to_state(client, people["sergeant"], people["cso_id"], "dispatched")
    r = await client.post(
        f"{CALLS}/{call['id']}/notes",
        json={"text": "Caller called back: car moved"},
        headers=people["cso"],
    )
    assert r.status_code == 201 and r.json()["text"] == "Caller called back: car moved"
    await act(client, people["cso"], call, "status", {"status": "en_route"})
    r = await client.get(f"{CALLS}/{call['id']}/timeline", headers=people["cso"])
    assert r.status_code == 200
    kinds = [e["kind"] for e in r.json()["items"]]
    assert kinds == ["created", "assigned", "note", "status_changed"]
    ats = [e["at"] for e in r.json()["items"]]
    assert ats == sorted(ats)
    assert_problem(
        await client.post(
            f"{CALLS}/{call['id']}/notes", json={"text": "  "}, headers=people["cso"]
        ),
        422,
    )
    assert_problem(
        await client.get(
            f"{CALLS}/00000000-0000-4000-8000-000000000000/timeline", headers=people["cso"]
        ),
        404,
        "call_not_found",
    )
    await client.get(
        f"{CALLS}/{call['id']}", headers=people["records"] | {"X-Request-ID": "read-1"}
    )
    row = db.scalars(sa.select(AuditEvent).where(AuditEvent.request_id == "read-1")).one()
    assert row.action == "call.read" and row.entity_id == call["id"]
