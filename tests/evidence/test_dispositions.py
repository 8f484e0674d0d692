from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.evidence.helpers import URL, custody, intake, make_staff, storage
from tests.factories import assert_problem

RECEIVER = {"name": "Ann Owner", "id_type": "drivers_license", "id_number": "D1234567"}


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def _post(client, headers, item, step="", body=None, **kw):
    path = f"{URL}/{item['id']}/disposition" + (f"/{step}" if step else "")
    return await client.post(path, json=body, headers=headers, **kw)


async def test_request_approve_execute_return(client, db, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    req = {"type": "return_to_owner", "reason": "Case closed; victim's laptop"}
    assert_problem(await _post(client, {}, item, body=req), 401)
    assert_problem(await _post(client, staff["admin"], item, body=req), 403)
    r = await _post(client, staff["cso"], item, body=req)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "requested"
    assert_problem(await _post(client, staff["records"], item, body=req), 409, "disposition_open")
    # execution waits for approval; approval is a supervisor's, never the requester's
    ex = {"receiver": RECEIVER}
    problem = assert_problem(
        await _post(client, staff["records"], item, "execute", ex), 409, "disposition_blocked"
    )
    assert [c["code"] for c in problem["conditions"]] == ["not_approved"]
    assert_problem(await _post(client, staff["records"], item, "approve"), 403)
    ok = await _post(client, staff["sergeant"], item, "approve")
    assert ok.status_code == 200 and ok.json()["approved_by"] == str(staff["sergeant_user"].id)
    assert_problem(await _post(client, staff["cso"], item, "execute", ex), 403)
    problem = assert_problem(await _post(client, staff["records"], item, "execute", {}), 409)
    assert [c["code"] for c in problem["conditions"]] == ["receiver_required"]
    done = await _post(client, staff["records"], item, "execute", ex)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "executed" and done.json()["receiver"] == RECEIVER
    got = (await client.get(f"{URL}/{item['id']}", headers=staff["cso"])).json()
    assert (got["status"], got["current_location"], got["custody_events"]) == ("released", None, 2)
    chain = (await client.get(f"{URL}/{item['id']}/custody", headers=staff["cso"])).json()
    last = chain["items"][-1]
    assert last["action"] == "disposition" and last["detail"]["type"] == "return_to_owner"
    assert "D1234567" not in str(chain)  # the receiver's ID stays out of the chain
    v = (await client.get(f"{URL}/{item['id']}/custody/verify", headers=staff["cso"])).json()
    assert v["valid"] and v["events"] == 2
    # nothing more happens to a released item
    assert_problem(
        await custody(
            client, staff, item, action="move", reason="x", to_location=s["bins"][1]["id"]
        ),
        409,
        "invalid_transition",
    )
    again = await _post(client, staff["cso"], item, body=req)
    assert "already_disposed" in [c["code"] for c in again.json()["conditions"]]
    types = db.scalars(
        sa.select(OutboxEvent.type)
        .where(OutboxEvent.entity_id == item["id"])
        .order_by(OutboxEvent.id)
    ).all()
    assert types[-4:] == [
        "evidence.disposition_requested",
        "evidence.disposition_approved",
        "evidence.disposed",
        "evidence.custody_changed",
    ]


async def test_nobody_approves_their_own_request(client, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    r = await _post(client, staff["sergeant"], item, body={"type": "destroy", "reason": "x"})
    assert r.status_code == 201
    assert_problem(
        await _post(client, staff["sergeant"], item, "approve"), 403, "separation_of_duties"
    )
    assert (await _post(client, staff["other_sergeant"], item, "approve")).status_code == 200


async def _approved(client, staff, item, type_):
    r = await _post(client, staff["cso"], item, body={"type": type_, "reason": "Purge"})
    assert r.status_code == 201, r.text
    assert (await _post(client, staff["sergeant"], item, "approve")).status_code == 200


async def test_destroy_needs_a_witness_and_high_risk_two_people(client, staff):
    s = await storage(client, staff)
    drugs = await intake(client, staff, s["bins"][0], category="drugs")
    await _approved(client, staff, drugs, "destroy")
    me = str(staff["records_user"].id)
    for body, codes in (
        ({}, ["witness_required", "second_person_required"]),
        ({"witness": me}, ["witness_required", "second_person_required"]),
        ({"witness": str(uuid.uuid4())}, ["witness_required", "second_person_required"]),
    ):
        problem = assert_problem(
            await _post(client, staff["records"], drugs, "execute", body),
            409,
            "disposition_blocked",
        )
        assert [c["code"] for c in problem["conditions"]] == codes
    ok = await _post(
        client, staff["records"], drugs, "execute", {"witness": str(staff["sergeant_user"].id)}
    )
    assert ok.status_code == 200, ok.text
    got = (await client.get(f"{URL}/{drugs['id']}", headers=staff["cso"])).json()
    assert got["status"] == "destroyed"
    # a high-risk return needs a second person besides the receiver
    gun = await intake(client, staff, s["bins"][0], category="firearm")
    await _approved(client, staff, gun, "return_to_owner")
    problem = assert_problem(
        await _post(client, staff["records"], gun, "execute", {"receiver": RECEIVER}), 409
    )
    assert [c["code"] for c in problem["conditions"]] == ["second_person_required"]
    ok = await _post(
        client,
        staff["records"],
        gun,
        "execute",
        {"receiver": RECEIVER, "second_person": str(staff["other_user"].id)},
    )
    assert ok.status_code == 200


async def test_checked_out_and_held_items_are_not_disposed(client, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    await _approved(client, staff, item, "auction")
    out = await custody(
        client,
        staff,
        item,
        action="check_out",
        reason="Lab prep",
        to_holder=str(staff["other_user"].id),
    )
    assert out.status_code == 201
    hold = await client.post(
        f"{URL}/{item['id']}/holds",
        json={"type": "court", "basis": "Subpoena 26-1143", "reason": "Trial set"},
        headers=staff["sergeant"],
    )
    assert hold.status_code == 201, hold.text
    problem = assert_problem(
        await _post(client, staff["records"], item, "execute", {}), 409, "disposition_blocked"
    )
    codes = [c["code"] for c in problem["conditions"]]
    assert codes == ["checked_out", "active_hold"]
    assert problem["conditions"][1]["hold_id"] == hold.json()["id"]
    back = await custody(
        client, staff, item, action="check_in", reason="Back", to_location=s["bins"][0]["id"]
    )
    assert back.status_code == 201
    lift = await client.request(
        "DELETE",
        f"{URL}/{item['id']}/holds/{hold.json()['id']}",
        json={"reason": "Case dismissed"},
        headers=staff["sergeant"],
    )
    assert lift.status_code == 200, lift.text
    ok = await _post(client, staff["records"], item, "execute", {"proceeds_cents": 4500})
    assert ok.status_code == 200, ok.text
    got = (await client.get(f"{URL}/{item['id']}", headers=staff["cso"])).json()
    assert got["status"] == "auctioned"
    # a disposed item takes no new hold
    again = await client.post(
        f"{URL}/{item['id']}/holds",
        json={"type": "court", "basis": "x", "reason": "y"},
        headers=staff["sergeant"],
    )
    assert again.status_code == 409


async def test_holds_need_evidence_approve(client, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    body = {"type": "investigative", "basis": "PC 1524", "reason": "Warrant pending"}
    for who in ("cso", "records"):
        assert_problem(
            await client.post(f"{URL}/{item['id']}/holds", json=body, headers=staff[who]), 403
        )
    listed = await client.get(f"{URL}/{item['id']}/holds", headers=staff["records"])
    assert listed.status_code == 200 and listed.json() == []


async def test_found_property_waits_for_its_holding_period(client, staff):
    s = await storage(client, staff)
    found = await intake(
        client,
        staff,
        s["pshelf"],
        kind="found_property",
        category="bicycle",
        collected_at="2026-11-30T09:15:00-08:00",
    )
    r = await _post(client, staff["cso"], found, body={"type": "auction", "reason": "Unclaimed"})
    problem = assert_problem(r, 409, "disposition_blocked")
    assert [c["code"] for c in problem["conditions"]] == ["holding_period"]
    # its owner may take it back at any time
    r = await _post(
        client, staff["cso"], found, body={"type": "return_to_owner", "reason": "Owner claimed it"}
    )
    assert r.status_code == 201, r.text
    old = await intake(
        client,
        staff,
        s["pshelf"],
        kind="found_property",
        category="bicycle",
        collected_at="2026-01-02T09:15:00-08:00",
    )
    r = await _post(client, staff["cso"], old, body={"type": "auction", "reason": "Unclaimed"})
    assert r.status_code == 201, r.text


async def test_disposition_to_intake_ratio(client, staff):
    s = await storage(client, staff)
    items = [await intake(client, staff, s["bins"][0]) for _ in range(4)]
    await _approved(client, staff, items[0], "return_to_owner")
    r = await _post(client, staff["records"], items[0], "execute", {"receiver": RECEIVER})
    assert r.status_code == 200
    url = f"{URL}/stats/throughput"
    window = {"from": "2026-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
    assert_problem(await client.get(url, params=window, headers=staff["cso"]), 403)
    got = await client.get(url, params=window, headers=staff["sergeant"])
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["intake"], body["dispositions"], body["disposition_to_intake"]) == (4, 1, 0.25)
    assert body["from"] == "2026-01-01T00:00:00Z"
    empty = await client.get(
        url,
        params={"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"},
        headers=staff["records"],
    )
    assert empty.json()["disposition_to_intake"] is None
    backwards = {"from": window["to"], "to": window["from"]}
    none = await client.get(url, params=backwards, headers=staff["records"])
    assert (none.json()["intake"], none.json()["dispositions"]) == (0, 0)
