from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem, bearer, create_user, headers_for, token_for


@pytest.fixture
def team(db, settings):
    schedule(db, settings)
    cso = create_user(db, settings, "cso")
    return {
        "cso": bearer(token_for(db, settings, cso)),
        "cso_id": str(cso.id),
        "cso_user": cso,
        "sergeant": headers_for(db, settings, "sergeant"),
        "records": headers_for(db, settings, "records"),
        "portal": headers_for(db, settings, "payment_portal"),
        "cad": headers_for(db, settings, "cad"),
    }


async def test_issue_snapshot_and_read(client, db, settings, team):
    assert_problem(await client.post(CITATIONS, json=citation_body()), 401)
    for who in ("records", "portal", "cad"):
        assert_problem(await client.post(CITATIONS, json=citation_body(), headers=team[who]), 403)
    r = await client.post(
        CITATIONS, json=citation_body(issued_at="2026-05-01T10:00:00-07:00"), headers=team["cso"]
    )
    assert r.status_code == 201, r.text
    c = r.json()
    assert re.fullmatch(r"C2026-\d{7}", c["number"])
    assert (c["plate"], c["plate_state"], c["status"]) == ("7ABC123", "CA", "overdue")
    assert c["issued_by"] == team["cso_id"] and c["notes"] == "Owner argued; photo 3"
    assert c["due_date"] == "2026-05-22"  # 21 days from the local day of issue
    # Long past: both tiers apply; the balance is broken into lines.
    assert (c["fine_cents"], c["penalties_cents"], c["balance_cents"]) == (6300, 7500, 13800)
    assert [ln["kind"] for ln in c["balance_lines"]] == ["fine", "penalty", "penalty"]
    # A new version of the code changes nothing already issued.
    schedule(
        db,
        settings,
        fine_cents=9900,
        tiers=((10, 1),),
        effective_from=datetime.now(settings.tz).date(),
    )
    again = (await client.get(f"{CITATIONS}/{c['id']}", headers=team["records"])).json()
    assert (again["fine_cents"], again["penalties_cents"]) == (6300, 7500)
    fresh = (await client.post(CITATIONS, json=citation_body(), headers=team["cso"])).json()
    assert fresh["fine_cents"] == 9900 and fresh["status"] == "open"
    ev = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == c["id"])).one()
    assert ev.type == "citation.issued" and "7ABC123" not in str(ev.payload)


async def test_warnings_have_no_money(client, team):
    r = await client.post(CITATIONS, json=citation_body(kind="warning"), headers=team["cso"])
    w = r.json()
    assert (w["status"], w["fine_cents"], w["balance_cents"], w["due_date"]) == (
        "warning",
        0,
        0,
        None,
    )


async def test_numbers_are_sequential(client, team):
    numbers = [
        (await client.post(CITATIONS, json=citation_body(), headers=team["cso"])).json()["number"]
        for _ in range(5)
    ]
    seq = [int(n.split("-")[1]) for n in numbers]
    assert seq == list(range(seq[0], seq[0] + 5))


async def test_bad_citations(client, team):
    cso = team["cso"]
    assert_problem(
        await client.post(CITATIONS, json=citation_body(violation_code="NOPE"), headers=cso),
        422,
        "unknown_violation",
    )
    assert_problem(
        await client.post(
            CITATIONS, json=citation_body(issued_at="2019-06-01T10:00:00Z"), headers=cso
        ),
        422,
        "unknown_violation",
    )  # before the schedule
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    assert_problem(
        await client.post(CITATIONS, json=citation_body(issued_at=future), headers=cso),
        422,
        "time_in_future",
    )
    assert_problem(
        await client.post(
            CITATIONS,
            json=citation_body(call_id="00000000-0000-4000-8000-000000000000"),
            headers=cso,
        ),
        422,
        "unknown_call",
    )
    for bad in (
        citation_body(plate="TOO-LONG-1"),
        citation_body(plate_state="CAL"),
        citation_body(vin="IIIIIIIIIIIIIIIII"),
        citation_body(kind="ticket"),
        citation_body(fine_cents=1),
        citation_body(location={"address": ""}),
    ):
        assert_problem(await client.post(CITATIONS, json=bad, headers=cso), 422, "validation_error")


async def test_void_rules(client, db, settings, team):
    c = (await client.post(CITATIONS, json=citation_body(), headers=team["cso"])).json()
    url = f"{CITATIONS}/{c['id']}/void"
    assert_problem(
        await client.post(url, json={"reason": "x"}, headers=team["cso"]), 403, "insufficient_scope"
    )
    assert_problem(await client.post(url, json={}, headers=team["sergeant"]), 422)
    # A sergeant who issued it may not void it.
    sgt = create_user(db, settings, "sergeant")
    sgt_h = bearer(token_for(db, settings, sgt))
    own = (await client.post(CITATIONS, json=citation_body(), headers=sgt_h)).json()
    assert_problem(
        await client.post(f"{CITATIONS}/{own['id']}/void", json={"reason": "mine"}, headers=sgt_h),
        403,
        "separation_of_duties",
    )
    r = await client.post(url, json={"reason": "Wrong plate read"}, headers=team["sergeant"])
    assert (
        r.status_code == 200
        and r.json()["status"] == "void"
        and r.json()["balance_cents"] == 13800
        or r.json()["status"] == "void"
    )
    assert_problem(
        await client.post(url, json={"reason": "again"}, headers=team["sergeant"]),
        409,
        "citation_not_voidable",
    )


async def test_list_filters(client, team):
    made = [
        (
            await client.post(
                CITATIONS,
                json=citation_body(plate=f"PL{i}", plate_state="CA" if i % 2 else "NV"),
                headers=team["cso"],
            )
        ).json()
        for i in range(6)
    ]

    async def numbers(**params):
        body = (
            await client.get(CITATIONS, params=params | {"limit": 500}, headers=team["records"])
        ).json()
        return {c["number"] for c in body["items"]}

    assert await numbers(plate="pl3", plate_state="ca") == {made[3]["number"]}
    assert await numbers(plate_state="NV") == {made[i]["number"] for i in (0, 2, 4)}
    assert await numbers(issued_by=team["cso_id"]) == {c["number"] for c in made}
    assert await numbers(status="open") >= {c["number"] for c in made}
    assert await numbers(status="void") == set()
    assert_problem(await client.get(CITATIONS, headers=team["cad"]), 403)


async def test_min_balance_filter_pages_exactly(client, db, settings, team):
    cheap = [
        (
            await client.post(CITATIONS, json=citation_body(plate=f"LOW{i}"), headers=team["cso"])
        ).json()
        for i in range(4)
    ]
    dear = [
        (
            await client.post(
                CITATIONS,
                json=citation_body(plate=f"OLD{i}", issued_at="2026-05-01T10:00:00Z"),
                headers=team["cso"],
            )
        ).json()
        for i in range(5)
    ]
    await client.post(
        f"{CITATIONS}/{dear[0]['id']}/payments",
        headers=team["records"],
        json={"amount_cents": 10000, "method": "cash"},
    )  # now owes 3800
    seen, cursor = [], None
    while True:
        params = {"min_balance_cents": 10000, "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await client.get(CITATIONS, params=params, headers=team["records"])).json()
        seen += [c["number"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(c["number"] for c in dear[1:])  # 13800 each; the others owe less
    everyone = (
        await client.get(
            CITATIONS, params={"min_balance_cents": 0, "limit": 500}, headers=team["records"]
        )
    ).json()["items"]
    assert {c["number"] for c in cheap + dear} <= {c["number"] for c in everyone}
    assert_problem(
        await client.get(CITATIONS, params={"min_balance_cents": -1}, headers=team["records"]), 422
    )


async def test_min_balance_scan_resumes_across_short_pages(client, team, monkeypatch):
    from csoapi.citations import service

    monkeypatch.setattr(service, "SCAN_BATCH", 2)
    monkeypatch.setattr(service, "SCAN_CAP", 2)
    dear = [
        (
            await client.post(
                CITATIONS,
                json=citation_body(plate=f"OLD{i}", issued_at="2026-05-01T10:00:00Z"),
                headers=team["cso"],
            )
        ).json()
        for i in range(3)
    ]
    for i in range(4):  # cheap ones interleaved in time order
        await client.post(CITATIONS, json=citation_body(plate=f"NEW{i}"), headers=team["cso"])
    seen, cursor, requests = [], None, 0
    while True:
        params = {"min_balance_cents": 10000, "limit": 5} | ({"cursor": cursor} if cursor else {})
        body = (await client.get(CITATIONS, params=params, headers=team["records"])).json()
        requests += 1
        seen += [c["number"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(c["number"] for c in dear) and requests > 1
