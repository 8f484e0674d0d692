"""Release and disposal: every condition blocking and unblocking, and the races."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from csoapi.core.models import utcnow
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem
from tests.impounds.helpers import URL, lift, make_staff, new_impound, post

OWNER = {
    "owner": {"name": "Rosa Owner", "id_type": "CA DL", "id_number": "D1234567"},
    "proof_of_ownership": "current registration",
}
HOLD = {"type": "investigative", "basis": "PC 1524", "reason": "Suspected in a hit and run"}


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


def codes(r) -> list[str]:
    return [c["code"] for c in assert_problem(r, 409)["conditions"]]


async def towed(client, staff, hours_ago: float = 3, **kw):
    at = (utcnow() - timedelta(hours=hours_ago)).isoformat()
    return await new_impound(client, staff["cso"], towed_at=at, **kw)


async def pay_all(client, staff, i):
    quote = (await client.get(f"{URL}/{i['id']}/fees", headers=staff["records"])).json()
    body = {"amount_cents": quote["balance_cents"], "method": "card"}
    r = await client.post(f"{URL}/{i['id']}/payments", json=body, headers=staff["records"])
    assert r.status_code == 201, r.text
    return r.json()


async def test_who_may_release(client, staff):
    i = await towed(client, staff)
    assert_problem(await post(client, {}, i, "release", OWNER), 401)
    for who in ("cso", "sergeant", "portal", "admin"):
        assert_problem(await post(client, staff[who], i, "release", OWNER), 403)


async def test_every_condition_blocks_until_met(client, db, settings, staff):
    schedule(db, settings)
    old = (utcnow() - timedelta(days=60)).isoformat()
    c = await client.post(CITATIONS, json=citation_body(issued_at=old), headers=staff["cso"])
    assert c.status_code == 201, c.text
    i = await towed(client, staff)
    h = await post(client, staff["sergeant"], i, "holds", HOLD)
    assert h.status_code == 201

    refused = await post(client, staff["records"], i, "release", {})
    assert codes(refused) == [
        "active_hold",
        "owner_not_verified",
        "no_proof_of_ownership",
        "fees_unpaid",
        "plate_has_overdue_citations",
    ]
    body = assert_problem(refused, 409, "release_refused")
    assert body["conditions"][0]["hold_id"] == h.json()["id"]
    assert body["conditions"][4]["citations"] == [c.json()["number"]]

    assert (await lift(client, staff["sergeant"], i, h.json()["id"])).status_code == 200
    assert codes(await post(client, staff["records"], i, "release", OWNER)) == [
        "fees_unpaid",
        "plate_has_overdue_citations",
    ]
    await pay_all(client, staff, i)
    assert codes(await post(client, staff["records"], i, "release", OWNER)) == [
        "plate_has_overdue_citations"
    ]
    owed = c.json()
    paid = await client.post(
        f"{CITATIONS}/{owed['id']}/payments",
        json={"amount_cents": 6300 + 2500 + 5000, "method": "cash"},
        headers=staff["records"],
    )
    assert paid.status_code == 201, paid.text
    done = await post(client, staff["records"], i, "release", OWNER)
    assert done.status_code == 200, done.text
    r = done.json()
    assert (r["status"], r["next_deadline_at"]) == ("released", None)
    assert r["release"]["owner"] == {
        "name": "Rosa Owner",
        "id_type": "CA DL",
        "id_number": "****4567",
    }
    assert r["release"]["fees_paid_cents"] == r["paid_cents"] > 0
    # Released: nothing more to hold, pay or release.
    assert_problem(await post(client, staff["sergeant"], i, "holds", HOLD), 409, "hold_not_allowed")
    assert_problem(
        await post(client, staff["records"], i, "release", OWNER), 409, "invalid_transition"
    )
    pay = {"amount_cents": 100, "method": "card"}
    assert_problem(
        await post(client, staff["records"], i, "payments", pay), 409, "impound_not_stored"
    )


async def test_the_plate_rule_is_a_setting(client, db, settings, staff, app):
    schedule(db, settings)
    old = (utcnow() - timedelta(days=60)).isoformat()
    await client.post(CITATIONS, json=citation_body(issued_at=old), headers=staff["cso"])
    i = await towed(client, staff)
    await pay_all(client, staff, i)
    app.state.settings = settings.model_copy(update={"impound_release_requires_clear_plate": False})
    try:
        r = await post(client, staff["records"], i, "release", OWNER)
    finally:
        app.state.settings = settings
    assert r.status_code == 200, r.text


async def test_payments_never_exceed_the_balance_and_reverse(client, staff):
    i = await towed(client, staff)
    quote = (await client.get(f"{URL}/{i['id']}/fees", headers=staff["records"])).json()
    due = quote["balance_cents"]
    too_much = {"amount_cents": due + 1, "method": "card"}
    assert_problem(
        await post(client, staff["records"], i, "payments", too_much), 422, "overpayment"
    )
    assert_problem(
        await post(client, staff["cso"], i, "payments", {"amount_cents": 1, "method": "card"}), 403
    )
    part = await post(
        client, staff["records"], i, "payments", {"amount_cents": 1000, "method": "cash"}
    )
    assert part.status_code == 201
    rev = await post(
        client, staff["records"], i, f"payments/{part.json()['id']}/reverse", {"reason": "Bounced"}
    )
    assert rev.status_code == 201, rev.text
    again = await post(
        client, staff["records"], i, f"payments/{part.json()['id']}/reverse", {"reason": "x"}
    )
    assert_problem(again, 409, "already_reversed")
    listed = (await client.get(f"{URL}/{i['id']}/payments", headers=staff["cso"])).json()
    assert [p["kind"] for p in listed] == ["payment", "reversal"]
    after = (await client.get(f"{URL}/{i['id']}/fees", headers=staff["records"])).json()
    assert (after["paid_cents"], after["balance_cents"]) == (0, due)
    # The portal pays with an Idempotency-Key (required from machine clients).
    portal = staff["portal"]
    assert_problem(
        await post(client, portal, i, "payments", {"amount_cents": due, "method": "card"}),
        422,
        "idempotency_key_required",
    )
    keyed = portal | {"Idempotency-Key": "imp-pay-1"}
    first = await post(client, keyed, i, "payments", {"amount_cents": due, "method": "card"})
    replay = await post(client, keyed, i, "payments", {"amount_cents": due, "method": "card"})
    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("idempotent-replayed") == "true"
    final = (await client.get(f"{URL}/{i['id']}/fees", headers=staff["records"])).json()
    assert final["balance_cents"] == 0


async def test_portal_lookup_is_minimal(client, staff):
    i = await towed(client, staff)
    await new_impound(client, staff["cso"])  # requested, not yet on a lot
    q = {"plate": "7ABC123", "plate_state": "CA"}
    for who in ("cso", "records"):
        assert_problem(await client.get(f"{URL}/lookup", params=q, headers=staff[who]), 403)
    r = await client.get(f"{URL}/lookup", params=q, headers=staff["portal"])
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert set(item) == {
        "id",
        "number",
        "plate",
        "plate_state",
        "storage_lot",
        "lot_address",
        "lot_hours",
        "fees_due_cents",
        "what_to_bring",
    }
    assert item["id"] == i["id"] and item["fees_due_cents"] > 0 and item["what_to_bring"]
    none = await client.get(
        f"{URL}/lookup", params={"plate": "NOPE1", "plate_state": "CA"}, headers=staff["portal"]
    )
    assert none.json()["items"] == []
    assert_problem(
        await client.get(f"{URL}/lookup", params={"plate": "X"}, headers=staff["portal"]), 422
    )


async def test_disposal_needs_the_lien_period(client, staff):
    i = await towed(client, staff, hours_ago=24 * 40)
    assert codes(
        await post(
            client, staff["records"], i, "dispose", {"route": "dismantler", "proceeds_cents": 0}
        )
    ) == ["not_valued"]
    valued = await post(
        client, staff["cso"], i, "valuation", {"value_cents": 40000, "estimator": "CSO Tow"}
    )
    assert valued.status_code == 200, valued.text
    assert valued.json()["value_band"] == "low"
    body = {"route": "auction", "proceeds_cents": 0}
    assert codes(await post(client, staff["records"], i, "dispose", body)) == [
        "lien_step_missing",
        "route_not_allowed",
    ]
    mailed = (utcnow() - timedelta(days=3)).isoformat()
    step = await post(
        client, staff["records"], i, "steps", {"step": "lien_notice_mailed", "at": mailed}
    )
    assert step.status_code == 200, step.text
    body = {"route": "dismantler", "proceeds_cents": 12000}
    assert codes(await post(client, staff["records"], i, "dispose", body)) == [
        "lien_period_running"
    ]
    # The lien has begun: the valuation that chose its path is fixed.
    assert_problem(
        await post(client, staff["cso"], i, "valuation", {"value_cents": 90000, "estimator": "x"}),
        409,
        "valuation_locked",
    )
    j = await towed(client, staff, hours_ago=24 * 40)
    await post(client, staff["cso"], j, "valuation", {"value_cents": 40000, "estimator": "CSO Tow"})
    long_ago = (utcnow() - timedelta(days=20)).isoformat()
    await post(client, staff["records"], j, "steps", {"step": "lien_notice_mailed", "at": long_ago})
    h = (await post(client, staff["sergeant"], j, "holds", HOLD)).json()
    assert codes(await post(client, staff["records"], j, "dispose", body)) == ["active_hold"]
    await lift(client, staff["sergeant"], j, h["id"])
    assert_problem(await post(client, staff["cso"], j, "dispose", body), 403)
    done = await post(client, staff["records"], j, "dispose", body)
    assert done.status_code == 200, done.text
    d = done.json()
    assert (d["status"], d["disposal_route"], d["proceeds_cents"]) == (
        "disposed",
        "dismantler",
        12000,
    )
    assert_problem(
        await post(client, staff["records"], j, "release", OWNER), 409, "invalid_transition"
    )


async def test_two_clerks_release_once(client, staff, postgres_only):
    i = await towed(client, staff)
    await pay_all(client, staff, i)
    results = await asyncio.gather(
        *(post(client, staff["records"], i, "release", OWNER) for _ in range(2))
    )
    assert sorted(r.status_code for r in results) == [200, 409]


async def test_a_payment_racing_a_release(client, staff, postgres_only):
    i = await towed(client, staff)
    quote = (await client.get(f"{URL}/{i['id']}/fees", headers=staff["records"])).json()
    pay = {"amount_cents": quote["balance_cents"], "method": "card"}
    paid, released = await asyncio.gather(
        post(client, staff["records"], i, "payments", pay),
        post(client, staff["records"], i, "release", OWNER),
    )
    after = (await client.get(f"{URL}/{i['id']}", headers=staff["records"])).json()
    if released.status_code == 200:  # the payment came first: released with fees paid
        assert (
            paid.status_code == 201
            and after["release"]["fees_paid_cents"] == quote["balance_cents"]
        )
    else:  # the release came first and was refused for the fees; the payment landed
        assert codes(released) == ["fees_unpaid"] and paid.status_code == 201
        assert after["status"] == "stored"


async def test_a_hold_placed_while_a_release_commits(client, staff, postgres_only):
    i = await towed(client, staff)
    await pay_all(client, staff, i)
    held, released = await asyncio.gather(
        post(client, staff["sergeant"], i, "holds", HOLD),
        post(client, staff["records"], i, "release", OWNER),
    )
    if released.status_code == 200:
        assert_problem(held, 409, "hold_not_allowed")
    else:
        assert held.status_code == 201 and codes(released) == ["active_hold"]
