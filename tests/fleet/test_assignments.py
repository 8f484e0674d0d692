"""Assignments that book fleet items by id: an item on two overlapping live assignments is a
409 with the clash, as a person is; the free-text equipment list still works beside it."""

from __future__ import annotations

from tests.factories import assert_problem, everyone
from tests.fleet.helpers import URL as FLEET
from tests.fleet.helpers import add, equipment

URL = "/api/v1/assignments"


def body(items, **overrides):
    b = {
        "kind": "radar_trailer",
        "title": "Radar trailer, Antelope Rd",
        "starts_at": "2026-12-14T07:00:00-08:00",
        "ends_at": "2026-12-14T15:00:00-08:00",
        "location": "Antelope Rd at Poker Ln",
        "equipment": ["Cones (10)"],
        "fleet_items": items,
    }
    return b | overrides


async def test_equipment_double_booking_is_a_409(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    trailer = await add(client, sgt, equipment())
    radio = await add(client, sgt, equipment(unit_number="RADIO-9", category="radio", name="R9"))
    r = await client.post(URL, json=body([trailer["id"]]), headers=sgt)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["fleet_items"] == [trailer["id"]] and first["equipment"] == ["Cones (10)"]
    overlapping = body(
        [radio["id"], trailer["id"]],
        kind="special_event",
        title="Fair",
        starts_at="2026-12-14T14:59:00-08:00",
        ends_at="2026-12-14T18:00:00-08:00",
    )
    problem = assert_problem(
        await client.post(URL, json=overlapping, headers=sgt), 409, "equipment_double_booked"
    )
    assert problem["clashes"] == [
        {
            "item_id": trailer["id"],
            "unit_number": "RT-2",
            "assignment_id": first["id"],
            "kind": "radar_trailer",
            "title": "Radar trailer, Antelope Rd",
            "starts_at": "2026-12-14T15:00:00+00:00",
            "ends_at": "2026-12-14T23:00:00+00:00",
        }
    ]
    # Back to back is free; the radio alone is free.
    touching = overlapping | {"starts_at": "2026-12-14T15:00:00-08:00"}
    r = await client.post(URL, json=touching, headers=sgt)
    assert r.status_code == 201, r.text
    second = r.json()
    assert sorted(second["fleet_items"]) == sorted([radio["id"], trailer["id"]])
    # Stretching the first over the second, through PATCH, clashes on both items it holds.
    stretch = {"ends_at": "2026-12-14T16:00:00-08:00"}
    r = await client.patch(f"{URL}/{first['id']}", json=stretch, headers=sgt | {"If-Match": '"1"'})
    problem = assert_problem(r, 409, "equipment_double_booked")
    assert {c["assignment_id"] for c in problem["clashes"]} == {second["id"]}
    # A cancelled assignment books nothing.
    r = await client.post(f"{URL}/{second['id']}/status", json={"status": "cancelled"}, headers=sgt)
    assert r.status_code == 200
    r = await client.patch(f"{URL}/{first['id']}", json=stretch, headers=sgt | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    # Dropping the item through PATCH frees it.
    r = await client.patch(
        f"{URL}/{first['id']}", json={"fleet_items": []}, headers=sgt | {"If-Match": '"2"'}
    )
    assert r.status_code == 200 and r.json()["fleet_items"] == []
    r = await client.get(f"{URL}/{first['id']}", headers=who["cso"].headers)
    assert r.json()["fleet_items"] == [] and r.json()["equipment"] == ["Cones (10)"]


async def test_fleet_items_must_exist_and_be_in_service(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers
    nobody = "00000000-0000-4000-8000-000000000000"
    r = await client.post(URL, json=body([nobody]), headers=sgt)
    assert assert_problem(r, 422, "unknown_fleet_item")["ids"] == [nobody]
    trailer = await add(client, sgt, equipment())
    assert_problem(
        await client.post(URL, json=body([trailer["id"], trailer["id"]]), headers=sgt), 422
    )
    await client.post(f"{FLEET}/{trailer['id']}/retire", json={"reason": "Sold"}, headers=sgt)
    r = await client.post(URL, json=body([trailer["id"]]), headers=sgt)
    assert_problem(r, 422, "unknown_fleet_item")
    # Free text alone, as before.
    r = await client.post(
        URL, json={k: v for k, v in body([]).items() if k != "fleet_items"}, headers=sgt
    )
    assert r.status_code == 201 and r.json()["fleet_items"] == []
