"""Parking permits over HTTP: who may do what, the fee schedule, validity as local days,
overlaps, revocation, the holder's privacy and the portal's view."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem
from tests.permits.helpers import PERMITS, ZONES, issue, open_zone, permit_body, staff

NO_ID = "00000000-0000-4000-8000-000000000000"


async def test_who_may_do_what(client, db, settings):
    who = staff(db, settings)
    assert_problem(await client.get(PERMITS), 401)
    assert_problem(await client.post(PERMITS, json=permit_body()), 401)
    for role in ("cso", "sergeant", "admin", "cad", "payment_portal"):
        r = await client.post(PERMITS, json=permit_body(), headers=who[role].headers)
        assert_problem(r, 403)
        r = await client.post(ZONES, json={"code": "A", "name": "A"}, headers=who[role].headers)
        assert_problem(r, 403)
    for role in ("admin", "cad", "payment_portal"):
        assert_problem(await client.get(PERMITS, headers=who[role].headers), 403)
        check = f"{PERMITS}/check?plate=1ABC234&plate_state=CA&zone=A"
        assert_problem(await client.get(check, headers=who[role].headers), 403)
    for role in ("cso", "sergeant", "records"):
        assert (await client.get(PERMITS, headers=who[role].headers)).status_code == 200
    lookup = f"{PERMITS}/lookup?number=P2026-000001"
    assert_problem(await client.get(lookup, headers=who["cso"].headers), 403)


async def test_issue_fee_number_and_event(client, db, settings):
    records = staff(db, settings)["records"].headers
    await open_zone(client, records)
    p = await issue(client, records)
    assert p["number"] == "P2026-000001"
    assert p["status"] == "expired"  # its days (March 2026) are past
    assert (p["plate"], p["plate_state"], p["zone"]) == ("7ABC123", "CA", "A")
    assert p["fee_cents"] == 4500  # fees.json, residential from 2026-01-01
    assert "holder" not in p and "Dana" not in str(p)
    visitor = await issue(client, records, kind="visitor", plate="8XYZ999", valid_to="2026-03-02")
    assert visitor["fee_cents"] == 500 and visitor["number"] == "P2026-000002"
    ev = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == p["id"])).one()
    assert ev.type == "permit.issued"
    assert "7ABC123" not in str(ev.payload) and "Dana" not in str(ev.payload)
    assert "Harridge" not in str(ev.payload)


async def test_issue_refusals(client, db, settings):
    records = staff(db, settings)["records"].headers
    r = await client.post(PERMITS, json=permit_body(), headers=records)
    assert_problem(r, 422, "unknown_permit_zone")
    await open_zone(client, records)
    long = permit_body(kind="visitor", valid_to="2026-03-15")  # 15 days; visitors get 14
    assert_problem(await client.post(PERMITS, json=long, headers=records), 422, "permit_too_long")
    fourteen = permit_body(kind="visitor", valid_to="2026-03-14")
    assert (await client.post(PERMITS, json=fourteen, headers=records)).status_code == 201
    backwards = permit_body(plate="1AAA111", valid_from="2026-03-08", valid_to="2026-03-01")
    r = await client.post(PERMITS, json=backwards, headers=records)
    assert_problem(r, 422, "permit_days_reversed")
    before_schedule = permit_body(plate="1AAA111", valid_from="2025-12-01", valid_to="2025-12-31")
    r = await client.post(PERMITS, json=before_schedule, headers=records)
    assert_problem(r, 422, "no_permit_fee")
    for bad in ({"kind": "annual"}, {"plate": "7ABC 123"}, {"valid_from": "2026-03-01T00:00Z"}):
        r = await client.post(PERMITS, json=permit_body(**bad), headers=records)
        assert_problem(r, 422)
    # The same vehicle, zone and a day in common: refused, naming the permit.
    r = await client.post(
        PERMITS, json=permit_body(valid_from="2026-03-14", valid_to="2026-03-20"), headers=records
    )
    body = assert_problem(r, 409, "permit_overlaps")
    assert body["permit_id"]
    # The next day, or another zone, is fine.
    assert (
        await client.post(
            PERMITS,
            json=permit_body(valid_from="2026-03-15", valid_to="2026-03-20"),
            headers=records,
        )
    ).status_code == 201  # noqa: E501
    await open_zone(client, records, "B")
    r = await client.post(PERMITS, json=permit_body(zone="B", kind="visitor"), headers=records)
    assert r.status_code == 201, r.text


async def test_closed_zone_issues_nothing(client, db, settings):
    records = staff(db, settings)["records"].headers
    zone = await open_zone(client, records)
    r = await client.patch(f"{ZONES}/A", json={"active": False}, headers=records)
    assert_problem(r, 428)
    r = await client.patch(
        f"{ZONES}/A", json={"active": False}, headers=records | {"If-Match": f'"{zone["version"]}"'}
    )
    assert r.status_code == 200 and r.json()["active"] is False
    r = await client.post(PERMITS, json=permit_body(), headers=records)
    assert_problem(r, 409, "permit_zone_inactive")
    assert_problem(await client.post(ZONES, json={"code": "a", "name": "x"}, headers=records), 409)


async def test_holder_is_private_and_audited(client, db, settings):
    who = staff(db, settings)
    records = who["records"].headers
    await open_zone(client, records)
    p = await issue(client, records)
    for role in ("cso", "sergeant", "admin", "cad", "payment_portal"):
        r = await client.get(f"{PERMITS}/{p['id']}/holder", headers=who[role].headers)
        assert_problem(r, 403)
    for role in ("cso", "sergeant", "records"):
        r = await client.get(f"{PERMITS}/{p['id']}", headers=who[role].headers)
        assert r.status_code == 200 and "Dana" not in r.text and "Harridge" not in r.text
        listing = await client.get(PERMITS, headers=who[role].headers)
        assert "Dana" not in listing.text and listing.json()["items"][0]["id"] == p["id"]
    r = await client.get(f"{PERMITS}/{p['id']}/holder", headers=records)
    assert r.status_code == 200
    assert r.json() == {
        "permit_id": p["id"],
        "number": p["number"],
        "name": "Dana Resident",
        "address": "1426 Harridge Dr",
        "phone": "916-555-0100",
    }
    assert_problem(await client.get(f"{PERMITS}/{NO_ID}/holder", headers=records), 404)
    reads = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "permit.holder.read")).all()
    assert [(a.entity_id, a.actor_id, a.outcome) for a in reads if a.outcome == "success"] == [
        (p["id"], who["records"].id, "success")
    ]
    assert db.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "permit.list")) == 3


async def test_revoke_and_status(client, db, settings):
    who = staff(db, settings)
    records = who["records"].headers
    await open_zone(client, records)
    today = datetime.now(settings.tz).date()
    p = await issue(
        client,
        records,
        valid_from=today.isoformat(),
        valid_to=(today + timedelta(days=300)).isoformat(),
    )
    assert p["status"] == "active"
    old = await issue(client, records, plate="2OLD222")  # March 2026: expired by now
    assert old["status"] == "expired"
    assert_problem(
        await client.post(
            f"{PERMITS}/{p['id']}/revoke", json={"reason": "x"}, headers=who["cso"].headers
        ),
        403,
    )
    stale = records | {"If-Match": '"7"'}
    r = await client.post(f"{PERMITS}/{p['id']}/revoke", json={"reason": "Moved"}, headers=stale)
    assert_problem(r, 412)
    r = await client.post(
        f"{PERMITS}/{p['id']}/revoke", json={"reason": "Moved away"}, headers=records
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["revoke_reason"] == "Moved away"
    assert r.headers["ETag"] == '"2"'
    again = await client.post(f"{PERMITS}/{p['id']}/revoke", json={"reason": "x"}, headers=records)
    assert_problem(again, 409, "permit_not_revocable")
    r = await client.post(f"{PERMITS}/{old['id']}/revoke", json={"reason": "x"}, headers=records)
    assert_problem(r, 409, "permit_not_revocable")
    listed = {
        s: [
            i["id"]
            for i in (await client.get(f"{PERMITS}?status={s}", headers=records)).json()["items"]
        ]
        for s in ("active", "expired", "revoked")
    }
    assert listed == {"active": [], "expired": [old["id"]], "revoked": [p["id"]]}
    types = db.scalars(
        sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == p["id"]).order_by(OutboxEvent.id)
    ).all()
    assert types == ["permit.issued", "permit.revoked"]


async def test_portal_lookup_shows_no_holder(client, db, settings):
    who = staff(db, settings)
    await open_zone(client, who["records"].headers)
    p = await issue(client, who["records"].headers)
    portal = who["payment_portal"].headers
    r = await client.get(f"{PERMITS}/lookup?number={p['number']}", headers=portal)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {
        "id", "number", "kind", "zone", "plate", "plate_state", "valid_from", "valid_to",
        "fee_cents", "status", "renewal",
    }  # fmt: skip
    assert_problem(await client.get(f"{PERMITS}/lookup?number=P2026-999999", headers=portal), 404)
    assert_problem(await client.get(f"{PERMITS}/{p['id']}", headers=portal), 403)
