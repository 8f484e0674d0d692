"""A permit's renewal paid through the payment portal like a citation: exact fee in cents,
Idempotency-Key required of the portal and replayed exactly, the validity run on by the
kind's renewal days, the grace after expiry, revoked and lapsed permits refused, the
payment in reconciliation and not reversible, and events without the holder or plate."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from csoapi.core.events import OutboxEvent
from csoapi.permits import rules
from tests.factories import assert_problem
from tests.permits.helpers import PERMITS, issue, open_zone, staff

PAY = {"amount_cents": 4500, "method": "card", "reference": "PORTAL-778812"}


def today(settings) -> date:
    return datetime.now(settings.tz).date()


def days(settings, first: int, last: int) -> dict[str, str]:
    t = today(settings)
    return {
        "valid_from": (t + timedelta(days=first)).isoformat(),
        "valid_to": (t + timedelta(days=last)).isoformat(),
    }


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def renew(client, headers, permit_id, body=PAY):
    return await client.post(f"{PERMITS}/{permit_id}/renewals", json=body, headers=headers)


async def test_portal_renews_an_active_permit(client, db, settings):
    who = staff(db, settings)
    records, portal = who["records"].headers, who["payment_portal"].headers
    await open_zone(client, records)
    p = await issue(client, records, **days(settings, -10, 5))
    old_to = date.fromisoformat(p["valid_to"])
    # The lookup shows what the renewal buys and costs.
    look = (await client.get(f"{PERMITS}/lookup?number={p['number']}", headers=portal)).json()
    assert look["renewal"] == {
        "fee_cents": 4500,
        "valid_from": (old_to + timedelta(days=1)).isoformat(),
        "valid_to": (old_to + timedelta(days=365)).isoformat(),
        "open_until": (old_to + timedelta(days=30)).isoformat(),
    }
    # A machine client must send an Idempotency-Key; the amount must be the fee exactly.
    assert_problem(await renew(client, portal, p["id"]), 422, "idempotency_key_required")
    wrong = assert_problem(
        await renew(client, portal | key(), p["id"], PAY | {"amount_cents": 4499}),
        422,
        "wrong_amount",
    )
    assert wrong["fee_cents"] == 4500
    assert_problem(
        await renew(client, portal | key(), p["id"], PAY | {"amount_cents": 4500.5}), 422
    )
    k = key()
    r = await renew(client, portal | k, p["id"])
    assert r.status_code == 201, r.text
    done = r.json()
    assert r.headers["Location"] == f"/api/v1/payments/{done['payment']['id']}"
    assert done["permit"]["valid_to"] == look["renewal"]["valid_to"]
    assert done["permit"]["status"] == "active" and "holder" not in str(done)
    assert done["payment"]["permit_id"] == p["id"] and done["payment"]["citation_id"] is None
    assert done["payment"]["amount_cents"] == 4500
    # The exact replay: same body, same key → the first answer, no second extension.
    again = await renew(client, portal | k, p["id"])
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == done
    other = await renew(client, portal | k, p["id"], PAY | {"reference": "OTHER"})
    assert_problem(other, 422, "idempotency_key_reused")
    got = await client.get(f"{PERMITS}/{p['id']}", headers=records)
    assert got.json()["valid_to"] == look["renewal"]["valid_to"]
    assert got.headers["ETag"] == '"2"'
    # Covered on a day of the renewed run, at noon local time.
    later = (old_to + timedelta(days=100)).isoformat() + "T12:00:00-08:00"
    check = {"plate": "7ABC123", "plate_state": "CA", "zone": "A", "at": later}
    c = await client.get(f"{PERMITS}/check", params=check, headers=who["cso"].headers)
    assert c.json()["covered"] is True and c.json()["permit_id"] == p["id"]
    # The payment is in the portal's reconciliation, and it is not reversed.
    mine = (await client.get("/api/v1/payments", headers=portal)).json()
    assert [x["permit_id"] for x in mine["items"]] == [p["id"]]
    assert mine["totals"]["payments_cents"] == 4500
    rev = await client.post(
        f"/api/v1/payments/{done['payment']['id']}/reverse",
        json={"reason": "Refund asked"},
        headers=records,
    )
    assert_problem(rev, 409, "renewal_not_reversible")
    types = db.scalars(
        sa.select(OutboxEvent.type)
        .where(OutboxEvent.entity_id.in_([p["id"], done["payment"]["id"]]))
        .order_by(OutboxEvent.id)
    ).all()
    assert types == ["permit.issued", "permit.renewed", "payment.posted"]
    for ev in db.scalars(sa.select(OutboxEvent).where(OutboxEvent.type != "permit.issued")):
        assert "7ABC123" not in str(ev.payload) and "Dana" not in str(ev.payload)


async def test_who_may_renew(client, db, settings):
    who = staff(db, settings)
    records = who["records"].headers
    await open_zone(client, records)
    p = await issue(client, records, **days(settings, -10, 5))
    assert_problem(await renew(client, {}, p["id"]), 401)
    for role in ("cso", "sergeant", "admin", "cad", "provider"):
        assert_problem(await renew(client, who[role].headers | key(), p["id"]), 403)
    # Records takes a renewal at the counter (a person: no key needed).
    r = await renew(client, records, p["id"])
    assert r.status_code == 201, r.text
    assert r.json()["payment"]["posted_by"].startswith("user:")
    nobody = "00000000-0000-4000-8000-000000000000"
    assert_problem(
        await renew(client, who["payment_portal"].headers | key(), nobody), 404, "permit_not_found"
    )


async def test_grace_after_expiry_and_refusals(client, db, settings):
    who = staff(db, settings)
    records, portal = who["records"].headers, who["payment_portal"].headers
    await open_zone(client, records)
    visitor = {"kind": "visitor"}
    # Ended two days ago: within the visitor permit's three days of grace; the run stays
    # continuous (the day after it ended, for 14 days), so it is active again.
    late = await issue(client, records, **visitor, **days(settings, -8, -2))
    assert late["status"] == "expired"
    r = await renew(client, portal | key(), late["id"], PAY | {"amount_cents": 500})
    assert r.status_code == 201, r.text
    assert r.json()["permit"]["status"] == "active"
    t = today(settings)
    assert r.json()["permit"]["valid_to"] == (t + timedelta(days=12)).isoformat()
    # Ended 40 days ago: lapsed (residential grace is 30 days); the lookup offers nothing.
    old = await issue(client, records, plate="4XYZ987", **days(settings, -100, -40))
    look = await client.get(f"{PERMITS}/lookup?number={old['number']}", headers=portal)
    assert look.json()["renewal"] is None
    assert_problem(await renew(client, portal | key(), old["id"]), 409, "permit_renewal_lapsed")
    # Revoked: refused, whatever the amount.
    gone = await issue(client, records, plate="5DEF456", **days(settings, -1, 20))
    revoked = await client.post(
        f"{PERMITS}/{gone['id']}/revoke", json={"reason": "Moved away"}, headers=records
    )
    assert revoked.status_code == 200, revoked.text
    assert_problem(await renew(client, portal | key(), gone["id"]), 409, "permit_revoked")
    # A placard verification is renewed in person only (and costs nothing).
    placard = await issue(
        client,
        records,
        kind="disabled_placard_verification",
        plate="6GHI321",
        **days(settings, -1, 20),
    )
    assert_problem(await renew(client, portal | key(), placard["id"]), 409, "permit_not_renewable")


async def test_renewal_into_another_permit_is_refused(client, db, settings):
    who = staff(db, settings)
    records, portal = who["records"].headers, who["payment_portal"].headers
    await open_zone(client, records)
    first = await issue(client, records, kind="visitor", **days(settings, -8, -2))
    # A new permit for the same vehicle and zone, issued after the first ended.
    await issue(client, records, kind="visitor", **days(settings, 0, 6))
    r = await renew(client, portal | key(), first["id"], PAY | {"amount_cents": 500})
    assert_problem(r, 409, "permit_overlaps")
    got = await client.get(f"{PERMITS}/{first['id']}", headers=records)
    assert got.json()["valid_to"] == first["valid_to"] and got.json()["version"] == 1


@given(
    kind=st.sampled_from(["residential", "visitor", "temporary", "contractor"]),
    valid_to=st.dates(min_value=date(2026, 1, 1), max_value=date(2099, 12, 31)),
)
def test_renewal_rule(kind, valid_to):
    terms = rules.renewal_of(kind, valid_to)
    assert terms is not None
    run = rules.schedule()["kinds"][kind]["renewal"]
    assert terms.valid_from == valid_to + timedelta(days=1)
    assert (terms.valid_to - valid_to).days == run["days"]
    assert terms.fee == rules.fee_for(kind, terms.valid_from) and terms.fee.fee_cents > 0
    # Paid on the last day of grace, the renewed permit is still good.
    assert valid_to <= terms.open_until < terms.valid_to


def test_placard_verification_has_no_portal_renewal():
    assert rules.renewal_of("disabled_placard_verification", date(2026, 6, 1)) is None
