"""The warm hand-off: clearing a call REFERRED links its referrals (named, or made in the
same request); the referral names the call and the call's referrals are listed by it."""

from __future__ import annotations

from tests.calls.helpers import create_call
from tests.factories import assert_problem, headers_for
from tests.referrals.helpers import referral_body, world


async def test_clearing_a_call_referred_links_its_referrals(client, db, settings):
    w = await world(client, db, settings)
    call = await create_call(client, w.cso, source="field", call_type="PARKING")
    assert call["status"] == "on_scene"
    earlier = await w.refer()
    body = {
        "referral_ids": [earlier["id"]],
        "referral": referral_body(w.service["id"], w.org["id"], status="requested"),
    }
    r = await client.post(f"/api/v1/calls/{call['id']}/hand-off", json=body, headers=w.cso)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["call_status"] == "cleared" and out["disposition"] == "REFERRED"
    assert [x["call_id"] for x in out["referrals"]] == [call["id"]] * 2
    assert out["referrals"][1]["status"] == "requested"
    got = await client.get(f"/api/v1/calls/{call['id']}", headers=w.cso)
    assert got.json()["status"] == "cleared" and got.json()["disposition"] == "REFERRED"
    listed = await client.get("/api/v1/referrals", params={"call_id": call["id"]}, headers=w.cso)
    assert {x["id"] for x in listed.json()["items"]} == {x["id"] for x in out["referrals"]}


async def test_a_refused_hand_off_changes_nothing(client, db, settings):
    w = await world(client, db, settings)
    call = await create_call(client, w.cso, source="field", call_type="PARKING")
    other = await create_call(client, w.cso, source="field", call_type="PARKING")
    linked = await w.refer(call_id=other["id"])
    url = f"/api/v1/calls/{call['id']}/hand-off"
    r = await client.post(url, json={"referral_ids": [linked["id"]]}, headers=w.cso)
    assert_problem(r, 409, "referral_linked_elsewhere")
    got = await client.get(f"/api/v1/calls/{call['id']}", headers=w.cso)
    assert got.json()["status"] == "on_scene"  # the clearing was rolled back with it
    assert_problem(await client.post(url, json={}, headers=w.cso), 422,
                   "no_referrals")  # fmt: skip
    # Sending without consent refuses the whole hand-off.
    body = {"referral": referral_body(w.service["id"], status="requested")}
    assert_problem(await client.post(url, json=body, headers=w.cso), 409, "consent_required")
    records = headers_for(db, settings, "records")
    assert_problem(await client.post(url, json=body, headers=records), 403)
