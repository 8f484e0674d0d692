"""Outreach events over HTTP: who may record and read them, the staff rule, edits under
If-Match (follow-ups marked done), idempotent creation, listing with filters and keyset
pages, and events that carry no personal data."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from csoapi.users.models import User
from tests.factories import assert_problem, everyone, person

URL = "/api/v1/outreach/events"


def body(staff=(), **overrides):
    b = {
        "kind": "youth_event",
        "title": "Bike rodeo at Rusch Park",
        "starts_at": "2026-10-03T10:00:00-07:00",
        "ends_at": "2026-10-03T13:00:00-07:00",
        "location": "Rusch Park, 7801 Auburn Blvd",
        "partners": ["Sunrise Recreation and Park District", "Bike Kitchen"],
        "attendance": 42,
        "youth_focus": True,
        "materials": ["Helmets (30)", "Bike safety flyers"],
        "follow_ups": [{"task": "Send photos to the district", "due_on": "2026-10-10"}],
        "staff": list(staff),
        "notes": "Ask for the pavilion next year",
    }
    return b | overrides


async def record(client, headers, **overrides):
    r = await client.post(URL, json=body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r


async def test_who_may_record_and_read(client, db, settings):
    who = everyone(db, settings)
    assert_problem(await client.post(URL, json=body()), 401)
    assert_problem(await client.get(URL), 401)
    for role in ("records", "admin", "cad", "payment_portal", "provider"):
        assert_problem(await client.post(URL, json=body(), headers=who[role].headers), 403)
    for role in ("admin", "cad", "payment_portal", "provider"):
        assert_problem(await client.get(URL, headers=who[role].headers), 403)
    r = await record(client, who["cso"].headers, staff=[who["cso"].id, who["sergeant"].id])
    e = r.json()
    assert r.headers["Location"] == f"{URL}/{e['id']}" and r.headers["ETag"] == '"1"'
    assert e["starts_at"] == "2026-10-03T17:00:00Z" and e["status"] == "planned"
    assert e["follow_ups"] == [
        {"task": "Send photos to the district", "due_on": "2026-10-10", "done": False}
    ]
    assert sorted(e["staff"]) == sorted([who["cso"].id, who["sergeant"].id])
    got = await client.get(f"{URL}/{e['id']}", headers=who["records"].headers)
    assert got.status_code == 200 and got.json() == e
    (ev,) = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == e["id"])).all()
    assert ev.type == "outreach.event_created"
    assert ev.payload["attendance"] == 42 and ev.payload["youth_focus"] is True
    for private in ("Bike Kitchen", "pavilion", who["cso"].id):
        assert private not in str(ev.payload)
    reads = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "outreach_event.read")
    ).all()
    assert len(reads) == 1


async def test_staff_must_be_active_field_staff(client, db, settings):
    who = everyone(db, settings)
    cso = who["cso"].headers
    p = assert_problem(
        await client.post(URL, json=body(staff=[who["records"].id]), headers=cso),
        422,
        "not_field_staff",
    )
    assert p["ids"] == [who["records"].id]
    nobody = "00000000-0000-4000-8000-000000000000"
    assert_problem(
        await client.post(URL, json=body(staff=[nobody]), headers=cso), 422, "unknown_staff"
    )
    assert_problem(
        await client.post(URL, json=body(staff=[who["cso"].id, who["cso"].id]), headers=cso), 422
    )


async def test_bad_input_is_a_422(client, db, settings):
    cso = everyone(db, settings)["cso"].headers
    for bad in (
        {"kind": "picnic"},
        {"attendance": -1},
        {"starts_at": "2026-10-03T10:00:00"},  # naive
        {"ends_at": "2026-10-03T09:00:00-07:00"},  # before the start
        {"follow_ups": [{"task": "x", "done": "yes"}]},
        {"unknown": 1},
        {"title": "   "},
    ):
        assert_problem(await client.post(URL, json=body(**bad), headers=cso), 422)


async def test_update_needs_if_match_and_marks_follow_ups_done(client, db, settings):
    who = everyone(db, settings)
    cso = who["cso"].headers
    e = (await record(client, cso, status="planned", attendance=None)).json()
    change = {
        "status": "held",
        "attendance": 55,
        "follow_ups": [e["follow_ups"][0] | {"done": True}],
    }
    assert_problem(await client.patch(f"{URL}/{e['id']}", json=change, headers=cso), 428)
    stale = cso | {"If-Match": '"7"'}
    assert_problem(await client.patch(f"{URL}/{e['id']}", json=change, headers=stale), 412)
    for role in ("records", "cad"):
        h = who[role].headers | {"If-Match": '"1"'}
        assert_problem(await client.patch(f"{URL}/{e['id']}", json=change, headers=h), 403)
    r = await client.patch(f"{URL}/{e['id']}", json=change, headers=cso | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["version"] == 2 and r.headers["ETag"] == '"2"'
    assert done["status"] == "held" and done["attendance"] == 55
    assert done["follow_ups"][0]["done"] is True and done["title"] == e["title"]
    # A window turned round by a change is refused; the event stays as it was.
    back = {"ends_at": "2026-10-03T09:00:00-07:00"}
    assert_problem(
        await client.patch(f"{URL}/{e['id']}", json=back, headers=cso | {"If-Match": '"2"'}),
        422,
        "window_reversed",
    )
    types = db.scalars(
        sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == e["id"]).order_by(OutboxEvent.id)
    ).all()
    assert types == ["outreach.event_created", "outreach.event_updated"]
    assert_problem(
        await client.patch(
            f"{URL}/00000000-0000-4000-8000-000000000000",
            json=change,
            headers=cso | {"If-Match": '"1"'},
        ),
        404,
        "outreach_event_not_found",
    )


async def test_create_is_idempotent(client, db, settings):
    cso = everyone(db, settings)["cso"].headers | {"Idempotency-Key": "bike-rodeo-1"}
    first = await record(client, cso)
    again = await client.post(URL, json=body(), headers=cso)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = await client.post(URL, json=body(title="Another"), headers=cso)
    assert_problem(other, 422, "idempotency_key_reused")


async def test_listing_filters_and_pages(client, db, settings):
    who = everyone(db, settings)
    cso = who["cso"].headers
    for day in range(1, 6):
        await record(
            client,
            cso,
            kind="school_visit" if day % 2 else "community_meeting",
            youth_focus=bool(day % 2),
            starts_at=f"2026-10-0{day}T18:00:00-07:00",
            ends_at=f"2026-10-0{day}T19:00:00-07:00",
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(URL, params=params, headers=who["records"].headers)).json()
        seen += [e["starts_at"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 5
    r = await client.get(URL, params={"kind": "school_visit"}, headers=cso)
    assert [e["kind"] for e in r.json()["items"]] == ["school_visit"] * 3
    r = await client.get(URL, params={"youth_focus": "false"}, headers=cso)
    assert len(r.json()["items"]) == 2
    window = {"starts_from": "2026-10-02T00:00:00-07:00", "starts_to": "2026-10-04T00:00:00-07:00"}
    r = await client.get(URL, params=window, headers=cso)
    assert len(r.json()["items"]) == 2
    assert_problem(await client.get(URL, params={"kind": "picnic"}, headers=cso), 422)


async def test_a_deactivated_cso_cannot_be_named(client, db, settings):
    cso = everyone(db, settings)["cso"].headers
    gone = person(db, settings, "cso")
    user = db.get(User, uuid.UUID(gone.id))
    user.active = False
    db.commit()
    assert_problem(
        await client.post(URL, json=body(staff=[gone.id]), headers=cso), 422, "unknown_staff"
    )
