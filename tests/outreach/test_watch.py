"""Neighborhood Watch groups over HTTP: registration with a liaison CSO, the contacts'
privacy (left out of every read and listing and event, shown to CSOs and sergeants only,
each read audited; 403 to everyone else), edits under If-Match, the meeting log, and the
outreach figures in the programme statistics."""

from __future__ import annotations

import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem, everyone

URL = "/api/v1/outreach/watch-groups"
NO_ID = "00000000-0000-4000-8000-000000000000"
CONTACTS = [
    {"name": "Pat Blockcaptain", "phone": "916-555-0142", "email": "pat@example.org"},
    {"name": "Sam Neighbor", "phone": None, "email": None},
]


def body(liaison=None, **overrides):
    b = {
        "name": "Sunrise Oaks Watch",
        "area": "Sunrise Oaks: Oak Ave to Greenback Ln, Sunrise Blvd to Fair Oaks Blvd",
        "beat": "521",
        "liaison_id": liaison,
        "contacts": CONTACTS,
    }
    return b | overrides


async def register(client, headers, **overrides):
    r = await client.post(URL, json=body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_contacts_are_private_and_audited(client, db, settings):
    who = everyone(db, settings)
    g = await register(client, who["cso"].headers, liaison=who["cso"].id)
    assert g["contacts_count"] == 2 and g["liaison_id"] == who["cso"].id
    assert "contacts" not in g and "Pat" not in str(g)
    # Records reads the group (field:read) but not its contacts; the others read neither.
    r = await client.get(f"{URL}/{g['id']}", headers=who["records"].headers)
    assert r.status_code == 200 and "Pat" not in r.text
    listed = await client.get(URL, headers=who["records"].headers)
    assert listed.status_code == 200 and "Pat" not in listed.text and "555" not in listed.text
    for role in ("records", "admin", "cad", "payment_portal", "provider"):
        r = await client.get(f"{URL}/{g['id']}/contacts", headers=who[role].headers)
        assert_problem(r, 403)
    assert_problem(await client.get(f"{URL}/{g['id']}/contacts"), 401)
    for role in ("cso", "sergeant"):
        r = await client.get(f"{URL}/{g['id']}/contacts", headers=who[role].headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"group_id": g["id"], "name": g["name"], "contacts": CONTACTS}
    assert_problem(
        await client.get(f"{URL}/{NO_ID}/contacts", headers=who["cso"].headers),
        404,
        "watch_group_not_found",
    )
    reads = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "watch_group.contacts.read")
    ).all()
    assert len(reads) == 2 and {str(a.entity_id) for a in reads} == {g["id"]}
    (ev,) = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == g["id"])).all()
    assert ev.type == "outreach.watch_group_created" and ev.payload["contacts_count"] == 2
    assert "Pat" not in str(ev.payload) and "555" not in str(ev.payload)


async def test_who_may_register_and_the_rules(client, db, settings):
    who = everyone(db, settings)
    for role in ("records", "admin", "cad", "payment_portal"):
        assert_problem(await client.post(URL, json=body(), headers=who[role].headers), 403)
    sgt = who["sergeant"].headers
    assert_problem(
        await client.post(URL, json=body(liaison=who["records"].id), headers=sgt),
        422,
        "not_field_staff",
    )
    assert_problem(
        await client.post(URL, json=body(liaison=NO_ID), headers=sgt), 422, "unknown_staff"
    )
    for bad in (
        {"contacts": [{"name": "X", "email": "not-an-email"}]},
        {"contacts": [{"name": "X", "phone": "call me"}]},
        {"contacts": [{"phone": "916-555-0100"}]},
        {"area": ""},
    ):
        assert_problem(await client.post(URL, json=body(**bad), headers=sgt), 422)
    await register(client, sgt)
    assert_problem(
        await client.post(URL, json=body(name="sunrise oaks watch"), headers=sgt),
        409,
        "watch_group_exists",
    )


async def test_update_contacts_and_deactivate(client, db, settings):
    who = everyone(db, settings)
    cso = who["cso"].headers
    g = await register(client, cso)
    url = f"{URL}/{g['id']}"
    change = {"contacts": CONTACTS[:1], "liaison_id": who["sergeant"].id}
    assert_problem(await client.patch(url, json=change, headers=cso), 428)
    assert_problem(await client.patch(url, json=change, headers=cso | {"If-Match": '"9"'}), 412)
    r = await client.patch(url, json=change, headers=cso | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["contacts_count"] == 1 and r.json()["liaison_id"] == who["sergeant"].id
    contacts = (await client.get(f"{url}/contacts", headers=cso)).json()["contacts"]
    assert contacts == CONTACTS[:1]
    r = await client.patch(url, json={"active": False}, headers=cso | {"If-Match": '"2"'})
    assert r.json()["active"] is False and r.headers["ETag"] == '"3"'
    active = (await client.get(URL, params={"active": "true"}, headers=cso)).json()["items"]
    assert active == []
    meeting = {"held_at": "2026-10-08T19:00:00-07:00", "summary": "Porch lights campaign"}
    assert_problem(
        await client.post(f"{url}/meetings", json=meeting, headers=cso),
        409,
        "watch_group_inactive",
    )
    types = db.scalars(
        sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == g["id"]).order_by(OutboxEvent.id)
    ).all()
    assert types == ["outreach.watch_group_created"] + ["outreach.watch_group_updated"] * 2


async def test_meeting_log(client, db, settings):
    who = everyone(db, settings)
    cso = who["cso"].headers
    g = await register(client, cso)
    url = f"{URL}/{g['id']}/meetings"
    for day, n in (("08", 14), ("15", 9), ("22", 20)):
        m = {"held_at": f"2026-10-{day}T19:00:00-07:00", "attendance": n, "summary": "Met"}
        r = await client.post(url, json=m, headers=cso)
        assert r.status_code == 201, r.text
    assert r.json()["recorded_by"] == who["cso"].id
    future = {"held_at": "2999-01-01T19:00:00Z", "summary": "Not yet"}
    assert_problem(await client.post(url, json=future, headers=cso), 422, "time_in_future")
    assert_problem(
        await client.post(url, json={"held_at": "2026-10-01T00:00:00Z"}, headers=cso), 422
    )
    assert_problem(
        await client.post(
            url,
            json={"held_at": "2026-10-08T19:00:00Z", "summary": "x"},
            headers=who["records"].headers,
        ),
        403,
    )
    page = (await client.get(url, params={"limit": 2}, headers=who["records"].headers)).json()
    assert [m["attendance"] for m in page["items"]] == [20, 9] and page["next_cursor"]
    rest = await client.get(url, params={"cursor": page["next_cursor"]}, headers=cso)
    assert [m["attendance"] for m in rest.json()["items"]] == [14]
    assert_problem(await client.get(f"{URL}/{NO_ID}/meetings", headers=cso), 404)
    got = (await client.get(f"{URL}/{g['id']}", headers=cso)).json()
    assert got["last_met_at"] == "2026-10-23T02:00:00Z"


async def test_outreach_figures_in_the_statistics(client, db, settings):
    who = everyone(db, settings)
    cso = who["cso"].headers
    events = "/api/v1/outreach/events"
    base = {"title": "Meeting", "location": "City Hall", "starts_at": "2026-10-05T18:00:00Z"}
    plan = [("community_meeting", 30, False)] * 11 + [("youth_event", 5, True)] * 2
    plan += [("school_visit", 1, True)]
    for kind, n, youth in plan:
        b = base | {"kind": kind, "attendance": n, "youth_focus": youth, "status": "held"}
        assert (await client.post(events, json=b, headers=cso)).status_code == 201
    cancelled = base | {"kind": "other", "attendance": 500, "status": "cancelled"}
    assert (await client.post(events, json=cancelled, headers=cso)).status_code == 201
    outside = base | {"kind": "other", "attendance": 500, "starts_at": "2026-12-05T18:00:00Z"}
    assert (await client.post(events, json=outside, headers=cso)).status_code == 201
    g = await register(client, cso)
    for i in range(12):
        m = {"held_at": f"2026-10-{i + 1:02d}T19:00:00Z", "summary": "Met"}
        assert (
            await client.post(f"{URL}/{g['id']}/meetings", json=m, headers=cso)
        ).status_code == 201
    period = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
    r = await client.get("/api/v1/stats/summary", params=period, headers=who["sergeant"].headers)
    assert r.status_code == 200, r.text
    figures = {f["id"]: f for f in r.json()["figures"]}
    by_kind = {c["labels"]["kind"]: c for c in figures["outreach.events_by_kind"]["cells"]}
    assert by_kind["community_meeting"]["value"] == 11
    assert by_kind["youth_event"]["suppressed"] is True and by_kind["youth_event"]["value"] is None
    assert "other" not in by_kind  # the cancelled one and the one outside the period
    (attendance,) = figures["outreach.attendance"]["cells"]
    assert attendance["value"] == 11 * 30 + 2 * 5 + 1
    (youth,) = figures["outreach.youth_events"]["cells"]
    assert youth["suppressed"] is True  # three: a small cell
    (groups,) = figures["outreach.watch_groups_active"]["cells"]
    assert groups["value"] == 0  # the one group was registered after the period (today)
    (meetings,) = figures["outreach.watch_meetings"]["cells"]
    assert meetings["value"] == 12
    now = {"from": "2026-10-01T00:00:00Z", "to": "2099-01-01T00:00:00Z"}
    r = await client.get("/api/v1/stats/summary", params=now, headers=who["records"].headers)
    (groups,) = [f for f in r.json()["figures"] if f["id"] == "outreach.watch_groups_active"]
    assert groups["cells"][0]["suppressed"] is True  # one group: a small cell
    for f in ("outreach.events_by_kind", "outreach.attendance", "outreach.watch_meetings"):
        assert figures[f]["definition"]
