from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from csoapi.citations.models import Payment
from csoapi.core.audit import AuditEvent
from csoapi.core.ratelimit import RateCounter
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import (
    assert_problem,
    bearer,
    create_client,
    create_user,
    headers_for,
    token_for,
)

PORTAL_FIELDS = {
    "id",
    "number",
    "issued_at",
    "violation_code",
    "violation_description",
    "location",
    "plate",
    "plate_state",
    "fine_cents",
    "penalties_cents",
    "paid_cents",
    "balance_cents",
    "due_date",
    "status",
}


@pytest.fixture
def desk(db, settings):
    schedule(db, settings)
    portal_client, _ = create_client(db, settings, "payment_portal")
    return {
        "cso": headers_for(db, settings, "cso"),
        "sergeant": headers_for(db, settings, "sergeant"),
        "records": headers_for(db, settings, "records"),
        "portal": bearer(token_for(db, settings, portal_client)),
        "portal_id": str(portal_client.id),
        "other_portal": headers_for(db, settings, "payment_portal"),
    }


async def issue(client, desk, **overrides):
    r = await client.post(CITATIONS, json=citation_body(**overrides), headers=desk["cso"])
    assert r.status_code == 201, r.text
    return r.json()


def pay(client, desk, citation, amount, key=None, who="portal"):
    headers = dict(desk[who])
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        f"{CITATIONS}/{citation['id']}/payments",
        headers=headers,
        json={"amount_cents": amount, "method": "card", "reference": "txn-1"},
    )


async def test_portal_lookup_shows_exactly_the_portal_view(client, db, desk):
    c = await issue(client, desk, plate="8xyz999")
    await issue(client, desk, plate="8XYZ999", kind="warning")  # no balance: not shown
    voided = await issue(client, desk, plate="8XYZ999")
    await client.post(
        f"{CITATIONS}/{voided['id']}/void", json={"reason": "x"}, headers=desk["sergeant"]
    )
    for params in ({"plate": "8xyz999", "plate_state": "CA"}, {"number": c["number"]}):
        r = await client.get(f"{CITATIONS}/lookup", params=params, headers=desk["portal"])
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [i["number"] for i in items] == [c["number"]]
        assert set(items[0]) == PORTAL_FIELDS
        assert items[0]["location"] == "HARRIDGE DR"  # street level, no house number
        assert "Owner argued" not in r.text and "1HGCM82633A004352" not in r.text
    assert_problem(
        await client.get(f"{CITATIONS}/lookup", params={"plate": "X1"}, headers=desk["portal"]),
        422,
        "lookup_needs_key",
    )
    assert_problem(
        await client.get(
            f"{CITATIONS}/lookup", params={"number": c["number"]}, headers=desk["cso"]
        ),
        403,
    )
    assert_problem(await client.get(f"{CITATIONS}/{c['id']}", headers=desk["portal"]), 403)
    assert db.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "citation.lookup")) == 2


async def test_lookup_balances_count_each_citations_own_payments(client, desk):
    a, b, c = [await issue(client, desk, plate="6PAY123") for _ in range(3)]
    fine = a["balance_cents"]
    for citation, amount, key in ((a, 1000, "a-1"), (a, 500, "a-2"), (c, 2000, "c-1")):
        assert (await pay(client, desk, citation, amount, key=key)).status_code == 201
    r = await client.get(
        f"{CITATIONS}/lookup",
        params={"plate": "6PAY123", "plate_state": "CA"},
        headers=desk["portal"],
    )
    assert r.status_code == 200, r.text
    got = {i["number"]: (i["paid_cents"], i["balance_cents"]) for i in r.json()["items"]}
    assert got == {
        a["number"]: (1500, fine - 1500),
        b["number"]: (0, fine),
        c["number"]: (2000, fine - 2000),
    }
    assert [i["number"] for i in r.json()["items"]] == [a["number"], b["number"], c["number"]]


async def test_lookup_is_rate_limited_per_client(client, app, db, settings, desk):
    app.state.settings = settings.model_copy(update={"lookup_rate_per_minute": 3})
    url, params = f"{CITATIONS}/lookup", {"number": "C2026-0000001"}
    try:
        for _ in range(2):  # windows are whole minutes: retry (as a new client) if one ended
            portal = headers_for(db, settings, "payment_portal")
            started = datetime.now(UTC).replace(second=0, microsecond=0)
            codes = [
                (await client.get(url, params=params, headers=portal)).status_code for _ in range(4)
            ]
            if datetime.now(UTC).replace(second=0, microsecond=0) == started:
                break
        assert codes == [200, 200, 200, 429]
        r = await client.get(url, params=params, headers=portal)
        assert_problem(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        other = await client.get(url, params=params, headers=desk["other_portal"])
        assert other.status_code == 200  # budgets are per client
    finally:
        app.state.settings = settings


async def test_lookup_commits_or_refuses_as_one_unit_on_asyncpg(
    live_client, live_db, app, settings, postgres_only
):
    """On PostgreSQL the lookup's whole work (principal, rate budget, reads, audit row, rate
    count) runs on the event loop over asyncpg: many at once all commit, each
    counted and audited once; one refused inside the unit leaves only its refusal's trace."""
    assert app.state.unit_factory is not None  # the asyncpg path, not the worker thread
    with live_db() as s:
        schedule(s, settings)
        portal_client, _ = create_client(s, settings, "payment_portal")
        portal = bearer(token_for(s, settings, portal_client))
        cso_user = create_user(s, settings, "cso")
        cso = bearer(token_for(s, settings, cso_user))
    c = (await live_client.post(CITATIONS, json=citation_body(plate="5UNIT55"), headers=cso)).json()
    url = f"{CITATIONS}/lookup"
    by_plate = {"plate": "5unit55", "plate_state": "CA"}
    results = await asyncio.gather(
        *[live_client.get(url, params=by_plate, headers=portal) for _ in range(12)]
    )
    assert [r.status_code for r in results] == [200] * 12, [r.text for r in results]
    assert all([i["number"] for i in r.json()["items"]] == [c["number"]] for r in results)
    assert_problem(
        await live_client.get(url, params=by_plate, headers=cso), 403, "insufficient_scope"
    )
    assert_problem(await live_client.get(url, params={"plate": "X1"}, headers=portal), 422)
    with live_db() as s:
        audits = s.exec(sa.select(AuditEvent.actor_id, AuditEvent.outcome)).all()
        counted = s.scalar(
            sa.select(sa.func.sum(RateCounter.count)).where(
                RateCounter.key == f"lookup:client:{portal_client.id}"
            )
        )
    lookups = [a for a in audits if a.actor_id == str(portal_client.id)]
    assert (len(lookups), counted) == (12, 12)  # the refused 422 is neither audited nor counted
    assert [a.outcome for a in audits if a.actor_id == str(cso_user.id)].count("denied") == 1


async def test_payments_partial_full_overpay_replay_and_state(client, db, desk):
    c = await issue(client, desk, kind="citation")
    balance = c["balance_cents"]
    assert_problem(await pay(client, desk, c, 100), 422, "idempotency_key_required")
    r = await pay(client, desk, c, 1000, key="pay-1")
    assert r.status_code == 201, r.text
    again = await pay(client, desk, c, 1000, key="pay-1")
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == r.json()["id"]
    assert_problem(await pay(client, desk, c, 2000, key="pay-1"), 422, "idempotency_key_reused")
    body = assert_problem(await pay(client, desk, c, balance, key="pay-2"), 422, "overpayment")
    assert body["balance_cents"] == balance - 1000
    assert (await pay(client, desk, c, balance - 1000, key="pay-3")).status_code == 201
    view = (await client.get(f"{CITATIONS}/{c['id']}", headers=desk["records"])).json()
    assert (view["status"], view["balance_cents"], view["paid_cents"]) == ("paid", 0, balance)
    lookup = await client.get(
        f"{CITATIONS}/lookup", params={"number": c["number"]}, headers=desk["portal"]
    )
    assert lookup.json()["items"] == []
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(Payment)
            .where(Payment.citation_id == uuid.UUID(c["id"]))
        )
        == 2
    )
    # Records staff pay at the counter without a key.
    d = await issue(client, desk)
    assert (await pay(client, desk, d, 500, who="records")).status_code == 201


async def test_payments_on_void_dismissed_or_warning(client, desk):
    w = await issue(client, desk, kind="warning")
    assert_problem(
        await pay(client, desk, w, 100, key="w", who="records"), 409, "citation_is_warning"
    )
    v = await issue(client, desk)
    await client.post(f"{CITATIONS}/{v['id']}/void", json={"reason": "x"}, headers=desk["sergeant"])
    assert_problem(await pay(client, desk, v, 100, key="v", who="records"), 409, "citation_void")
    # A portal holding the id (from a lookup before the void) is told what happened (issue
    # 22: it used to be a 404 "No such citation", which reads as a wrong id).
    body = assert_problem(await pay(client, desk, v, 100, key="v2"), 409, "citation_void")
    assert body["balance_cents"] == 0
    c = await issue(client, desk)
    assert (await pay(client, desk, c, 100, key="c")).status_code == 201
    assert_problem(
        await client.post(
            f"{CITATIONS}/{c['id']}/void", json={"reason": "late"}, headers=desk["sergeant"]
        ),
        409,
        "citation_has_payments",
    )


async def test_reversal_and_reconciliation(client, db, desk):
    c = await issue(client, desk)
    p1 = (await pay(client, desk, c, c["balance_cents"], key="r1")).json()
    assert (await client.get(f"{CITATIONS}/{c['id']}", headers=desk["records"])).json()[
        "status"
    ] == "paid"
    url = f"/api/v1/payments/{p1['id']}/reverse"
    assert_problem(
        await client.post(url, json={"reason": "chargeback"}, headers=desk["portal"]),
        403,
        "records_only",
    )
    r = await client.post(url, json={"reason": "chargeback"}, headers=desk["records"])
    assert (
        r.status_code == 201
        and r.json()["kind"] == "reversal"
        and r.json()["reverses_id"] == p1["id"]
    )
    assert_problem(
        await client.post(url, json={"reason": "again"}, headers=desk["records"]),
        409,
        "already_reversed",
    )
    view = (await client.get(f"{CITATIONS}/{c['id']}", headers=desk["records"])).json()
    assert view["status"] != "paid" and view["balance_cents"] == c["balance_cents"]
    assert [ln["kind"] for ln in view["balance_lines"]][-2:] == ["payment", "reversal"]
    d = await issue(client, desk)
    await pay(client, desk, d, 700, key="r2", who="other_portal")
    await pay(client, desk, d, 300, key="r3", who="records")

    body = (await client.get("/api/v1/payments", headers=desk["records"])).json()
    totals = body["totals"]
    assert (totals["payments"], totals["reversals"]) == (3, 1)
    assert totals["net_cents"] == 700 + 300
    assert totals["payments_cents"] - totals["reversals_cents"] == totals["net_cents"]
    mine = (await client.get("/api/v1/payments", headers=desk["portal"])).json()
    assert {p["id"] for p in mine["items"]} == {p1["id"]}  # a portal sees its own
    r = await client.get("/api/v1/payments", headers=desk["records"] | {"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert (
        len(rows) == 4
        and sum(int(x["amount_cents"]) * (1 if x["kind"] == "payment" else -1) for x in rows)
        == totals["net_cents"]
    )
    assert_problem(await client.get("/api/v1/payments", headers=desk["cso"]), 403)
    # Bounds at and beyond the ends of time (.NET's DateTime.MinValue and MaxValue are common
    # "no bound" values) select what they say.
    for first, last, count in (
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", 4),
        ("0001-01-01T00:00:30+01:00", "9999-12-31T23:00:00-05:00", 4),
        ("9999-12-31T23:00:00-05:00", None, 0),
        (None, "0001-01-01T00:00:30+01:00", 0),
    ):
        bounds = {"posted_from": first, "posted_to": last}
        params = {k: v for k, v in bounds.items() if v}
        r = await client.get("/api/v1/payments", params=params, headers=desk["records"])
        assert r.status_code == 200 and len(r.json()["items"]) == count, (params, r.text)


async def test_concurrent_payments_never_exceed_the_balance(
    live_client, live_db, settings, postgres_only
):
    with live_db() as s:
        schedule(s, settings)
        cso = bearer(token_for(s, settings, create_user(s, settings, "cso")))
        portal = bearer(token_for(s, settings, create_client(s, settings, "payment_portal")[0]))
    c = (await live_client.post(CITATIONS, json=citation_body(), headers=cso)).json()
    balance = c["balance_cents"]
    amount = balance // 5 + 1  # only four fit
    results = await asyncio.gather(
        *[
            live_client.post(
                f"{CITATIONS}/{c['id']}/payments",
                json={"amount_cents": amount, "method": "card"},
                headers=portal | {"Idempotency-Key": f"burst-{i}"},
            )
            for i in range(8)
        ]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 4 + [422] * 4, [r.text for r in results]
    with live_db() as s:
        paid = s.scalar(
            sa.select(sa.func.sum(Payment.amount_cents)).where(
                Payment.citation_id == uuid.UUID(c["id"])
            )
        )
    assert paid == 4 * amount <= balance


async def test_payment_rows_cannot_be_changed_on_postgres(client, db, desk, postgres_only):
    from sqlalchemy.exc import DBAPIError

    c = await issue(client, desk)
    await pay(client, desk, c, 100, key="imm")
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(sa.update(Payment).values(amount_cents=1))
