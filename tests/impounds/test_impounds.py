from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem
from tests.impounds.helpers import URL, make_staff, new_impound, post, tow


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def test_who_may_request_and_read(client, staff):
    assert_problem(await client.post(URL, json=tow()), 401)
    assert_problem(await client.get(URL), 401)
    for who in ("records", "admin", "cad", "portal"):
        assert_problem(await client.post(URL, json=tow(), headers=staff[who]), 403)
    for who in ("admin", "cad", "portal"):
        assert_problem(await client.get(URL, headers=staff[who]), 403)
    i = await new_impound(client, staff["cso"])
    assert_problem(await client.get(f"{URL}/{i['id']}", headers=staff["cad"]), 403)
    for who in ("cso", "sergeant", "records"):
        r = await client.get(f"{URL}/{i['id']}", headers=staff[who])
        assert r.status_code == 200, r.text
    assert_problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=staff["cso"]), 404)


async def test_requested_then_stored_with_events(client, db, staff):
    i = await new_impound(client, staff["cso"])
    assert re.fullmatch(r"IMP\d{2}-\d{6}", i["number"])
    assert (i["status"], i["towed_at"], i["deadlines"]) == ("requested", None, [])
    assert i["odometer"] == 123456 and len(i["inventory"]) == 2
    assert i["inventory"][0] == {
        "item": "Child car seat",
        "quantity": 1,
        "location": None,
        "notes": None,
    }
    assert_problem(await post(client, staff["records"], i, "status", {"status": "stored"}), 403)
    r = await post(client, staff["cso"], i, "status", {"status": "stored"}, if_match='"9"')
    assert_problem(r, 412)
    r = await post(client, staff["cso"], i, "status", {"status": "stored"}, if_match='"1"')
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["status"] == "stored" and stored["towed_at"] is not None
    assert r.headers["etag"] == '"2"'
    assert {d["rule_id"] for d in stored["deadlines"]} >= {
        "ca-22852-owner-notice",
        "ca-22670-valuation",
    }
    assert all(d["status"] == "open" for d in stored["deadlines"])
    assert stored["next_deadline_at"] is not None
    again = await post(client, staff["cso"], i, "status", {"status": "stored"})
    assert_problem(again, 409, "invalid_transition")
    assert_problem(await post(client, staff["cso"], i, "status", {"status": "released"}), 422)
    types = db.scalars(
        sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == i["id"]).order_by(OutboxEvent.id)
    ).all()
    assert types == ["impound.created", "impound.stored"]


async def test_a_field_tow_is_stored_at_once(client, staff):
    i = await new_impound(
        client,
        staff["cso"],
        requested_at="2026-11-30T10:00:00-08:00",
        towed_at="2026-11-30T10:40:00-08:00",
    )
    assert i["status"] == "stored"
    assert i["towed_at"] == "2026-11-30T18:40:00Z"


async def test_bad_input(client, staff):
    cso = staff["cso"]
    cases = [
        (tow(vehicle={"make": "HOND"}), 422, "vehicle_unidentified"),
        (tow(vehicle={"plate": "7ABC123"}), 422, "plate_state_missing"),
        (tow(reason="BORED"), 422, None),
        (tow(extra=1), 422, None),
        (tow(odometer=-1), 422, None),
        (tow(citation_id=str(uuid.uuid4())), 422, "unknown_citation"),
        (tow(call_id=str(uuid.uuid4())), 422, "unknown_call"),
        (tow(requested_at="2026-11-30T10:00:00"), 422, None),  # naive
        (tow(requested_at="2999-01-01T00:00:00Z"), 422, "time_in_future"),
        (
            tow(requested_at="2026-11-30T10:00:00Z", towed_at="2026-11-30T09:00:00Z"),
            422,
            "tow_before_request",
        ),
    ]
    for body, status, code in cases:
        assert_problem(await client.post(URL, json=body, headers=cso), status, code)
    vin_only = await new_impound(client, cso, vehicle={"vin": "1HGCM82633A004352"})
    assert vin_only["vehicle"]["plate"] is None


async def test_linked_call_shows_on_the_timeline(client, staff):
    call = await client.post(
        "/api/v1/calls",
        json={"source": "phone", "call_type": "PARKING", "location": {"address": "1 Main St"}},
        headers=staff["sergeant"],
    )
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]
    i = await new_impound(client, staff["cso"], call_id=call_id)
    tl = await client.get(f"/api/v1/calls/{call_id}/timeline", headers=staff["cso"])
    assert tl.status_code == 200, tl.text
    linked = [e for e in tl.json()["items"] if e["record_type"] == "impound"]
    assert [(e["record_id"], e["kind"]) for e in linked] == [(i["id"], "impound_requested")]
    assert i["number"] in linked[0]["text"]


async def test_list_filters_and_worklist(client, staff):
    cso = staff["cso"]
    a = await new_impound(
        client, cso, towed_at="2026-11-30T10:00:00-08:00", requested_at="2026-11-30T09:00:00-08:00"
    )
    b = await new_impound(
        client, cso, vehicle={"plate": "8XYZ999", "plate_state": "NV"}, storage_lot="North Lot"
    )
    listed = await client.get(URL, headers=cso)
    assert [x["id"] for x in listed.json()["items"]] == [a["id"], b["id"]]
    by_plate = await client.get(URL, params={"plate": "8XYZ999", "plate_state": "NV"}, headers=cso)
    assert [x["id"] for x in by_plate.json()["items"]] == [b["id"]]
    by_lot = await client.get(URL, params={"lot": "North Lot"}, headers=cso)
    assert [x["id"] for x in by_lot.json()["items"]] == [b["id"]]
    stored = await client.get(URL, params={"status": "stored"}, headers=cso)
    assert [x["id"] for x in stored.json()["items"]] == [a["id"]]
    work = await client.get(
        URL, params={"deadline_due_before": "2030-01-01T00:00:00Z"}, headers=staff["records"]
    )
    assert [x["id"] for x in work.json()["items"]] == [a["id"]]  # a requested tow has no clock
    early = await client.get(
        URL, params={"deadline_due_before": "2026-11-30T00:00:00Z"}, headers=cso
    )
    assert early.json()["items"] == []
    page = await client.get(URL, params={"limit": 1}, headers=cso)
    nxt = page.json()["next_cursor"]
    rest = await client.get(URL, params={"limit": 1, "cursor": nxt}, headers=cso)
    assert [x["id"] for x in rest.json()["items"]] == [b["id"]]
    assert_problem(await client.get(URL, params={"status": "lost"}, headers=cso), 422)
