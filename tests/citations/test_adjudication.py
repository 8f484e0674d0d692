from __future__ import annotations

import pytest

from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem, headers_for

OLD = "2026-05-01T10:00:00-07:00"  # long enough ago for both tiers


@pytest.fixture
def office(db, settings):
    schedule(db, settings)
    return {
        "cso": headers_for(db, settings, "cso"),
        "records": headers_for(db, settings, "records"),
        "sergeant": headers_for(db, settings, "sergeant"),
    }


async def issue(client, office, **kw):
    r = await client.post(CITATIONS, json=citation_body(**kw), headers=office["cso"])
    assert r.status_code == 201, r.text
    return r.json()


async def post(client, office, c, action, body=None, who="records"):
    return await client.post(f"{CITATIONS}/{c['id']}/{action}", json=body, headers=office[who])


async def test_reasons_are_bounded_by_what_is_kept(client, office):
    # A contest reason of 2,001 characters was a 500 on PostgreSQL (a 2,000-character column).
    c = await issue(client, office)
    r = await post(client, office, c, "contest", {"reason": "r" * 2001})
    assert_problem(r, 422, "validation_error")
    r = await post(client, office, c, "contest", {"reason": "r" * 2000})
    assert r.status_code == 200 and r.json()["contest_reason"] == "r" * 2000


async def test_contest_then_upheld_restarts_the_clock(client, office):
    c = await issue(client, office, issued_at=OLD)
    assert (c["status"], c["balance_cents"]) == ("overdue", 13800)
    assert_problem(await post(client, office, c, "contest", {"reason": "x"}, who="cso"), 403)
    r = await post(client, office, c, "contest", {"reason": "Sign was hidden by a tree"})
    assert (
        r.status_code == 200 and r.json()["status"] == "contested" and r.json()["due_date"] is None
    )
    assert_problem(
        await post(client, office, c, "contest", {"reason": "again"}), 409, "not_contestable"
    )
    r = await post(client, office, c, "adjudicate", {"outcome": "upheld", "reason": "Sign visible"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["adjudication"]["outcome"] == "upheld"
    # A fresh window to pay: the clock counts from the decision day again.
    assert (body["status"], body["penalties_cents"], body["balance_cents"]) == ("open", 0, 6300)
    assert body["due_date"] > c["due_date"]
    assert_problem(
        await post(client, office, c, "adjudicate", {"outcome": "upheld", "reason": "x"}),
        409,
        "not_contested",
    )


async def test_upheld_without_reset_keeps_penalties(client, office):
    c = await issue(client, office, issued_at=OLD)
    await post(client, office, c, "contest", {"reason": "r"})
    r = await post(
        client, office, c, "adjudicate", {"outcome": "upheld", "reason": "r", "reset_clock": False}
    )
    assert (r.json()["status"], r.json()["balance_cents"]) == ("overdue", 13800)


async def test_dismissed_and_reduced(client, office):
    c = await issue(client, office)
    await post(client, office, c, "contest", {"reason": "r"})
    r = await post(
        client, office, c, "adjudicate", {"outcome": "dismissed", "reason": "Valid permit"}
    )
    assert (r.json()["status"], r.json()["balance_cents"]) == ("dismissed", 0)
    r = await client.post(
        f"{CITATIONS}/{c['id']}/payments",
        json={"amount_cents": 100, "method": "cash"},
        headers=office["records"],
    )
    assert_problem(r, 409, "citation_dismissed")
    d = await issue(client, office)
    await client.post(
        f"{CITATIONS}/{d['id']}/payments",
        json={"amount_cents": 2000, "method": "cash"},
        headers=office["records"],
    )
    await post(client, office, d, "contest", {"reason": "r"})
    for bad, code in (
        ({"outcome": "reduced", "reason": "r"}, "reduced_amount_required"),
        ({"outcome": "reduced", "reason": "r", "reduced_to_cents": 6300}, "not_a_reduction"),
        ({"outcome": "reduced", "reason": "r", "reduced_to_cents": 1000}, "below_paid"),
        ({"outcome": "upheld", "reason": "r", "reduced_to_cents": 1000}, "not_a_reduction"),
    ):
        assert_problem(await post(client, office, d, "adjudicate", bad), 422, code)
    r = await post(
        client,
        office,
        d,
        "adjudicate",
        {"outcome": "reduced", "reason": "r", "reduced_to_cents": 3000},
    )
    body = r.json()
    assert (body["reductions_cents"], body["paid_cents"], body["balance_cents"]) == (
        3300,
        2000,
        1000,
    )
    assert body["balance_lines"][-1]["kind"] == "reduction"


async def test_collections_only_for_overdue(client, office):
    fresh = await issue(client, office)
    assert_problem(await post(client, office, fresh, "collections"), 409, "not_overdue")
    old = await issue(client, office, issued_at=OLD)
    r = await post(client, office, old, "collections")
    assert r.status_code == 200 and r.json()["status"] == "collections"
    assert_problem(await post(client, office, old, "collections"), 409, "not_overdue")


async def test_portal_lookup_agrees_with_the_officers_view(client, db, settings, office):
    """The portal reads its own narrow rows; whatever has happened to a citation (penalties,
    a contest's pause, a reduction, payments, collections) its balance and status there are
    the officer's."""
    plate = {"plate": "4LOOK44"}
    fresh = await issue(client, office, **plate)
    overdue = await issue(client, office, issued_at=OLD, **plate)
    contested = await issue(client, office, issued_at=OLD, **plate)
    await post(client, office, contested, "contest", {"reason": "r"})
    paused = await issue(client, office, issued_at=OLD, **plate)
    await post(client, office, paused, "contest", {"reason": "r"})
    upheld = {"outcome": "upheld", "reason": "r", "reset_clock": False}
    await post(client, office, paused, "adjudicate", upheld)
    reduced = await issue(client, office, issued_at=OLD, **plate)
    await client.post(
        f"{CITATIONS}/{reduced['id']}/payments",
        json={"amount_cents": 2000, "method": "cash"},
        headers=office["records"],
    )
    await post(client, office, reduced, "contest", {"reason": "r"})
    cut = {"outcome": "reduced", "reason": "r", "reduced_to_cents": 3000}
    assert (await post(client, office, reduced, "adjudicate", cut)).status_code == 200
    sent = await issue(client, office, issued_at=OLD, **plate)
    assert (await post(client, office, sent, "collections")).status_code == 200

    portal = headers_for(db, settings, "payment_portal")
    r = await client.get(
        f"{CITATIONS}/lookup", params={"plate": "4LOOK44", "plate_state": "CA"}, headers=portal
    )
    assert r.status_code == 200, r.text
    seen = {i["id"]: i for i in r.json()["items"]}
    every = (fresh, overdue, contested, paused, reduced, sent)
    assert set(seen) == {c["id"] for c in every}
    fields = ("status", "fine_cents", "penalties_cents", "paid_cents", "balance_cents", "due_date")
    for c in every:
        officer = (await client.get(f"{CITATIONS}/{c['id']}", headers=office["records"])).json()
        assert {k: seen[c["id"]][k] for k in fields} == {k: officer[k] for k in fields}
    statuses = {seen[c["id"]]["status"] for c in every}
    assert statuses == {"open", "overdue", "contested", "collections"}
