"""Check-out and return over HTTP: one open check-out per item (409 naming who has it),
return closes it, out-of-service and retired items stay in, and the history."""

from __future__ import annotations

import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem, everyone, person
from tests.fleet.helpers import URL, add, equipment, vehicle

LATER = "2099-01-01T17:00:00-08:00"


async def test_check_out_double_and_return(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    radio = await add(
        client, sgt, equipment(unit_number="RADIO-14", category="radio", name="Radio 14")
    )
    at = f"{URL}/{radio['id']}"
    out = {"holder_id": who["cso"].id, "expected_return_at": LATER, "purpose": "Parade detail"}
    r = await client.post(f"{at}/check-out", json=out, headers=sgt | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    held = r.json()["checked_out"]
    assert r.headers["ETag"] == '"2"' and held["holder_id"] == who["cso"].id
    assert (
        held["holder_name"] == "Test Person"
        and held["expected_return_at"] == "2099-01-02T01:00:00Z"
    )
    assert held["returned_at"] is None and held["out_by"] == who["sergeant"].id
    # Already out: 409 naming who holds it, whoever asks and for whom.
    other = person(db, settings, "cso")
    r = await client.post(
        f"{at}/check-out", json={"holder_id": other.id}, headers=who["records"].headers
    )
    problem = assert_problem(r, 409, "fleet_item_checked_out")
    assert problem["checkout"]["holder_id"] == who["cso"].id
    assert problem["checkout"]["id"] == held["id"] and "Test Person" in problem["detail"]
    # Not while out: retire.
    r = await client.post(f"{at}/retire", json={"reason": "Lost"}, headers=sgt)
    assert_problem(r, 409, "fleet_item_checked_out")
    # Listed as out, and by holder.
    r = await client.get(f"{URL}?checked_out=true&holder={who['cso'].id}", headers=sgt)
    assert [i["id"] for i in r.json()["items"]] == [radio["id"]]
    r = await client.get(f"{URL}?checked_out=false", headers=sgt)
    assert r.json()["items"] == []
    # Return closes it; a second return is a 409.
    r = await client.post(
        f"{at}/return", json={"note": "Antenna bent"}, headers=sgt | {"If-Match": '"2"'}
    )  # noqa: E501
    assert r.status_code == 200 and r.json()["checked_out"] is None
    assert_problem(
        await client.post(f"{at}/return", json={}, headers=sgt), 409, "fleet_item_not_out"
    )
    r = await client.post(f"{at}/check-out", json={"holder_id": other.id}, headers=sgt)
    assert r.status_code == 200 and r.json()["checked_out"]["holder_id"] == other.id
    r = await client.get(f"{at}/checkouts", headers=who["cso"].headers)
    history = r.json()["items"]
    assert [c["holder_id"] for c in history] == [other.id, who["cso"].id]
    assert history[1]["return_note"] == "Antenna bent" and history[1]["returned_at"]
    events = db.scalars(
        sa.select(OutboxEvent).where(OutboxEvent.entity_id == radio["id"]).order_by(OutboxEvent.id)
    ).all()
    assert [e.type for e in events] == [
        "fleet.item_created",
        "fleet.checked_out",
        "fleet.returned",
        "fleet.checked_out",
    ]
    assert all(who["cso"].id not in str(e.payload) for e in events)  # nobody named


async def test_check_out_refusals(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    truck = await add(client, sgt, vehicle())
    at = f"{URL}/{truck['id']}"
    nobody = "00000000-0000-4000-8000-000000000000"
    assert_problem(
        await client.post(f"{at}/check-out", json={"holder_id": nobody}, headers=sgt),
        422,
        "unknown_holder",
    )
    past = {"holder_id": who["cso"].id, "expected_return_at": "2020-01-01T00:00:00Z"}
    assert_problem(
        await client.post(f"{at}/check-out", json=past, headers=sgt), 422, "expected_return_past"
    )
    naive = {"holder_id": who["cso"].id, "expected_return_at": "2099-01-01T00:00:00"}
    assert_problem(await client.post(f"{at}/check-out", json=naive, headers=sgt), 422)
    stale = sgt | {"If-Match": '"9"'}
    assert_problem(
        await client.post(f"{at}/check-out", json={"holder_id": who["cso"].id}, headers=stale), 412
    )
    r = await client.post(
        f"{URL}/{nobody}/check-out", json={"holder_id": who["cso"].id}, headers=sgt
    )
    assert_problem(r, 404, "fleet_item_not_found")
    # Out of service, then retired: stays in.
    r = await client.post(f"{at}/status", json={"status": "out_of_service"}, headers=sgt)
    assert r.status_code == 200
    r = await client.post(f"{at}/check-out", json={"holder_id": who["cso"].id}, headers=sgt)
    assert_problem(r, 409, "fleet_item_out_of_service")
    await client.post(f"{at}/retire", json={"reason": "Sold"}, headers=sgt)
    r = await client.post(f"{at}/check-out", json={"holder_id": who["cso"].id}, headers=sgt)
    assert_problem(r, 409, "fleet_item_retired")


async def test_return_records_the_odometer(client, db, settings):
    who = everyone(db, settings)
    rec = who["records"].headers
    truck = await add(client, rec, vehicle(unit_number="POOL-3", category="utility_vehicle"))
    at = f"{URL}/{truck['id']}"
    await client.post(f"{at}/check-out", json={"holder_id": who["sergeant"].id}, headers=rec)
    r = await client.post(f"{at}/return", json={"odometer": 41100}, headers=rec)
    assert_problem(r, 422, "odometer_went_back")
    r = await client.post(f"{at}/return", json={"odometer": 41262}, headers=rec)
    assert r.status_code == 200 and r.json()["odometer"] == 41262
    r = await client.get(f"{at}/checkouts", headers=rec)
    assert r.json()["items"][0]["return_odometer"] == 41262
