"""Assignments over HTTP: who may plan them, double-booking refused with the clash, the
day's schedule in the agency's time zone, states, edits and the call timeline."""

from __future__ import annotations

import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem, everyone, person

URL = "/api/v1/assignments"


def body(staff, **overrides):
    b = {
        "kind": "special_event",
        "title": "Sunrise Mall holiday parade",
        "starts_at": "2026-12-12T09:00:00-08:00",
        "ends_at": "2026-12-12T13:00:00-08:00",
        "location": "Sunrise Blvd from Greenback to Madison",
        "posts": ["Sunrise & Greenback", "Sunrise & Madison"],
        "staff": staff,
        "equipment": ["Radio 14", "Cones (40)"],
        "notes": "Road closed 08:30",
    }
    return b | overrides


async def plan(client, headers, staff, **overrides):
    r = await client.post(URL, json=body(staff, **overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_who_may_plan_and_read(client, db, settings):
    who = everyone(db, settings)
    assert_problem(await client.post(URL, json=body([])), 401)
    for role in ("records", "admin", "cad", "payment_portal"):
        assert_problem(await client.post(URL, json=body([]), headers=who[role].headers), 403)
    for role in ("admin", "cad", "payment_portal"):
        assert_problem(await client.get(URL, headers=who[role].headers), 403)
    a = await plan(client, who["sergeant"].headers, [who["cso"].id])
    assert a["status"] == "planned" and a["staff"] == [who["cso"].id]
    assert a["starts_at"] == "2026-12-12T17:00:00Z" and a["activity"][0]["what"] == "planned"
    r = await client.get(f"{URL}/{a['id']}", headers=who["records"].headers)
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    ev = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == a["id"])).one()
    assert ev.type == "assignment.created" and who["cso"].id not in str(ev.payload)


async def test_double_booking_is_a_409_with_the_clash(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    other = person(db, settings, "cso")
    parade = await plan(client, sgt, [who["cso"].id])
    # Overlapping by one minute, for the same person: refused, naming the parade.
    late = body(
        [other.id, who["cso"].id],
        kind="escort",
        title="Funeral escort",
        starts_at="2026-12-12T12:59:00-08:00",
        ends_at="2026-12-12T14:00:00-08:00",
    )
    problem = assert_problem(
        await client.post(URL, json=late, headers=sgt), 409, "staff_double_booked"
    )
    assert problem["clashes"] == [
        {
            "user_id": who["cso"].id,
            "assignment_id": parade["id"],
            "kind": "special_event",
            "title": "Sunrise Mall holiday parade",
            "starts_at": "2026-12-12T17:00:00+00:00",
            "ends_at": "2026-12-12T21:00:00+00:00",
        }
    ]
    # Back to back is no clash; another person is free.
    touching = late | {"starts_at": "2026-12-12T13:00:00-08:00"}
    escort = await plan(
        client,
        sgt,
        **{k: v for k, v in touching.items() if k != "staff"},
        staff=[other.id, who["cso"].id],
    )  # noqa: E501
    overlap_other = late | {"staff": [other.id]}
    r = await client.post(
        URL, json=overlap_other | {"starts_at": "2026-12-12T13:30:00-08:00"}, headers=sgt
    )
    assert_problem(r, 409, "staff_double_booked")
    # Moving the parade later through PATCH clashes with the escort.
    move = {"ends_at": "2026-12-12T13:30:00-08:00"}
    r = await client.patch(f"{URL}/{parade['id']}", json=move, headers=sgt | {"If-Match": '"1"'})
    body_ = assert_problem(r, 409, "staff_double_booked")
    assert body_["clashes"][0]["assignment_id"] == escort["id"]
    # A cancelled assignment books nobody.
    r = await client.post(
        f"{URL}/{escort['id']}/status",
        json={"status": "cancelled", "note": "Family postponed"},
        headers=sgt,
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = await client.patch(f"{URL}/{parade['id']}", json=move, headers=sgt | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["ends_at"] == "2026-12-12T21:30:00Z" and r.headers["ETag"] == '"2"'


async def test_staff_must_be_field_staff(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    r = await client.post(URL, json=body(["00000000-0000-4000-8000-000000000000"]), headers=sgt)
    assert_problem(r, 422, "unknown_staff")
    r = await client.post(URL, json=body([who["records"].id]), headers=sgt)
    assert_problem(r, 422, "not_field_staff")
    r = await client.post(URL, json=body([who["cso"].id, who["cso"].id]), headers=sgt)
    assert_problem(r, 422)
    r = await client.post(URL, json=body([], ends_at="2026-12-12T09:00:00-08:00"), headers=sgt)
    assert_problem(r, 422)
    r = await client.post(URL, json=body([], kind="parade"), headers=sgt)
    assert_problem(r, 422)


async def test_schedule_by_local_day_and_person(client, db, settings):
    who = everyone(db, settings)
    sgt, cso = who["sergeant"].headers, who["cso"].id
    other = person(db, settings, "cso")
    # 23:30 to 00:30 local across midnight: on both local days.
    night = await plan(
        client, sgt, [cso], kind="radar_trailer", title="Radar trailer, Antelope Rd",
        starts_at="2026-12-12T23:30:00-08:00", ends_at="2026-12-13T00:30:00-08:00",
    )  # fmt: skip
    day = await plan(client, sgt, [cso])
    theirs = await plan(client, sgt, [other.id], kind="traffic_control", title="Collision scene")

    async def ids(query):
        r = await client.get(f"{URL}?{query}", headers=who["cso"].headers)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids(f"on=2026-12-12&staff={cso}") == [day["id"], night["id"]]
    assert await ids(f"on=2026-12-13&staff={cso}") == [night["id"]]
    assert await ids(f"on=2026-12-12&staff={other.id}") == [theirs["id"]]
    assert await ids("on=2026-12-11") == []
    # 2026-12-13T07:30Z is still the 12th in the agency's zone (-08:00).
    assert night["starts_at"] == "2026-12-13T07:30:00Z"
    assert await ids("on=2026-12-12&kind=radar_trailer") == [night["id"]]
    assert_problem(await client.get(f"{URL}?on=12/12/2026", headers=sgt), 422)


async def test_states_and_activity(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    a = await plan(client, sgt, [who["cso"].id])
    go = lambda s: client.post(f"{URL}/{a['id']}/status", json={"status": s}, headers=sgt)  # noqa: E731
    assert_problem(await go("completed"), 409, "invalid_transition")
    assert (await go("active")).status_code == 200
    r = await go("completed")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert [x["what"] for x in r.json()["activity"]] == [
        "planned",
        "planned → active",
        "active → completed",
    ]
    assert_problem(await go("cancelled"), 409, "invalid_transition")
    r = await client.patch(
        f"{URL}/{a['id']}", json={"title": "x"}, headers=sgt | {"If-Match": '"3"'}
    )
    assert_problem(r, 409, "assignment_closed")
    assert_problem(await client.patch(f"{URL}/{a['id']}", json={"title": "x"}, headers=sgt), 428)
    types = db.scalars(
        sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == a["id"]).order_by(OutboxEvent.id)
    ).all()
    assert types == ["assignment.created", "assignment.status_changed", "assignment.status_changed"]
