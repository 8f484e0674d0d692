"""Fleet items over HTTP: who may read and keep them, create (idempotent), list, get, update
with ETag/If-Match, retire, and events without personal data."""

from __future__ import annotations

import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem, everyone
from tests.fleet.helpers import URL, add, equipment, vehicle


async def test_who_may_read_and_keep(client, db, settings):
    who = everyone(db, settings)
    assert_problem(await client.post(URL, json=vehicle()), 401)
    assert_problem(await client.get(URL), 401)
    for role in ("cso", "admin", "cad", "payment_portal"):
        r = await client.post(URL, json=vehicle(), headers=who[role].headers)
        assert_problem(r, 403)
    for role in ("admin", "cad", "payment_portal"):
        assert_problem(await client.get(URL, headers=who[role].headers), 403)
    for role in ("sergeant", "records"):
        await add(client, who[role].headers, vehicle(unit_number=f"U-{role}"))
    r = await client.get(URL, headers=who["cso"].headers)
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    item = r.json()["items"][0]
    for path, body in (
        ("/retire", {"reason": "x"}),
        ("/check-out", {"holder_id": who["cso"].id}),
        ("/return", {}),
        ("/maintenance", {"task": "Oil", "due_on": "2027-01-01"}),
        (
            "/service-records",
            {"vendor": "V", "serviced_on": "2026-01-01", "work_done": "x", "cost_cents": 0},
        ),
    ):
        r = await client.post(f"{URL}/{item['id']}{path}", json=body, headers=who["cso"].headers)
        assert_problem(r, 403)
    r = await client.patch(
        f"{URL}/{item['id']}", json={"name": "x"}, headers=who["cso"].headers | {"If-Match": '"1"'}
    )
    assert_problem(r, 403)
    r = await client.get(f"{URL}/{item['id']}/checkouts", headers=who["cad"].headers)
    assert_problem(r, 403)


async def test_create_read_and_events(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    body = vehicle(maintenance=[{"task": "Oil change", "due_odometer": 45000, "every_miles": 5000}])
    r = await client.post(URL, json=body, headers=sgt)
    assert r.status_code == 201, r.text
    item = r.json()
    assert r.headers["Location"] == f"{URL}/{item['id']}" and r.headers["ETag"] == '"1"'
    assert item["status"] == "in_service" and item["odometer"] == 41200
    assert item["checked_out"] is None and item["maintenance_overdue"] is False
    (task,) = item["maintenance"]
    assert task["due_odometer"] == 45000 and task["due_on"] is None and task["overdue"] is False
    r = await client.get(f"{URL}/{item['id']}", headers=who["cso"].headers)
    assert r.status_code == 200 and r.headers["ETag"] == '"1"' and r.json() == item
    assert_problem(await client.get(f"{URL}/{who['cso'].id}", headers=sgt), 404)
    # The unit number is the agency's own, once.
    r = await client.post(URL, json=vehicle(), headers=sgt)
    assert_problem(r, 409, "unit_number_taken")
    ev = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == item["id"])).one()
    assert ev.type == "fleet.item_created" and ev.payload["unit_number"] == "CSO-12"
    assert "1ABC234" not in str(ev.payload) and "1FTFW1E50NFA00001" not in str(ev.payload)


async def test_bad_input_is_422(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers
    both = {"task": "Oil", "due_on": "2027-01-01", "due_odometer": 5000}
    for bad in (
        vehicle(kind="boat"),
        vehicle(odometer=-1),
        vehicle(vin="not-a-vin"),
        vehicle(maintenance=[both]),
        vehicle(maintenance=[{"task": "Oil"}]),  # neither a date nor a reading
        vehicle(maintenance=[{"task": "Oil", "due_on": "2027-01-01", "every_miles": 10}]),
        vehicle(maintenance=[{"task": "Oil", "due_odometer": 1, "every_days": 10}]),
        vehicle(maintenance=[{"task": "Oil", "due_on": "2027-01-01", "every_days": 0}]),
        vehicle(status="retired"),
    ):
        assert_problem(await client.post(URL, json=bad, headers=sgt), 422)


async def test_idempotent_create(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers | {"Idempotency-Key": "fleet-add-1"}
    first = await client.post(URL, json=equipment(), headers=sgt)
    assert first.status_code == 201
    again = await client.post(URL, json=equipment(), headers=sgt)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = await client.post(URL, json=equipment(unit_number="RT-3"), headers=sgt)
    assert_problem(other, 422, "idempotency_key_reused")
    r = await client.get(URL, headers=sgt)
    assert len(r.json()["items"]) == 1


async def test_update_needs_if_match_and_retire(client, db, settings):
    who = everyone(db, settings)
    rec = who["records"].headers
    item = await add(client, rec, equipment())
    at = f"{URL}/{item['id']}"
    assert_problem(await client.patch(at, json={"name": "Radar trailer two"}, headers=rec), 428)
    stale = rec | {"If-Match": '"7"'}
    assert_problem(await client.patch(at, json={"name": "x"}, headers=stale), 412)
    r = await client.patch(
        at, json={"name": "Radar trailer two"}, headers=rec | {"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"' and r.json()["name"] == "Radar trailer two"
    # State is no PATCH field (a body that tries is a 422); it has its own transition.
    r = await client.patch(at, json={"status": "out_of_service"}, headers=rec | {"If-Match": '"2"'})
    assert_problem(r, 422)
    out = {"status": "out_of_service", "reason": "Battery"}
    r = await client.post(f"{at}/status", json=out, headers=rec | {"If-Match": '"2"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"3"'
    assert r.json()["status"] == "out_of_service" and r.json()["status_reason"] == "Battery"
    r = await client.post(f"{at}/status", json={"status": "retired"}, headers=rec)
    assert_problem(r, 422)
    r = await client.post(f"{at}/retire", json={"reason": "Sold at auction"}, headers=rec)
    assert r.status_code == 200 and r.json()["status"] == "retired" and r.json()["retired_at"]
    r = await client.post(f"{at}/retire", json={"reason": "again"}, headers=rec)
    assert_problem(r, 409, "fleet_item_retired")
    r = await client.post(f"{at}/status", json={"status": "in_service"}, headers=rec)
    assert_problem(r, 409, "fleet_item_retired")
    r = await client.patch(at, json={"name": "x"}, headers=rec | {"If-Match": '"4"'})
    assert_problem(r, 409, "fleet_item_retired")
    types = db.scalars(
        sa.select(OutboxEvent.type)
        .where(OutboxEvent.entity_id == item["id"])
        .order_by(OutboxEvent.id)
    ).all()
    assert types == [
        "fleet.item_created",
        "fleet.item_updated",
        "fleet.item_updated",
        "fleet.item_retired",
    ]


async def test_list_pages_and_filters(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    made = [
        await add(
            client, sgt, equipment(unit_number=f"RADIO-{n}", category="radio", name=f"Radio {n}")
        )
        for n in range(3)
    ]
    truck = await add(client, sgt, vehicle())
    seen, cursor = [], None
    while True:
        q = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = await client.get(f"{URL}?{q}", headers=sgt)
        assert r.status_code == 200
        seen += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [*(m["id"] for m in made), truck["id"]]
    r = await client.get(f"{URL}?kind=vehicle", headers=sgt)
    assert [i["id"] for i in r.json()["items"]] == [truck["id"]]
    r = await client.get(f"{URL}?category=radio&status=in_service", headers=sgt)
    assert len(r.json()["items"]) == 3
    assert_problem(await client.get(f"{URL}?category=boat", headers=sgt), 422)
    assert_problem(await client.get(f"{URL}?service_due_before=tomorrow", headers=sgt), 422)
