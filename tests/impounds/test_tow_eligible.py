"""GET /vehicles/tow-eligible: the pack's CVC 22651(i) rule over the citation ledger, a dry
run explaining each plate by the citations that qualify it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from csoapi.core.models import utcnow
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem, headers_for

URL = "/api/v1/vehicles/tow-eligible"


@pytest.fixture
def people(db, settings):
    schedule(db, settings)
    kinds = {"cso": "cso", "records": "records", "portal": "payment_portal"}
    return {name: headers_for(db, settings, kind) for name, kind in kinds.items()}


async def cite(client, people, plate, days_ago):
    at = (utcnow() - timedelta(days=days_ago)).isoformat()
    body = citation_body(plate=plate, vin=None, issued_at=at)
    r = await client.post(CITATIONS, json=body, headers=people["cso"])
    assert r.status_code == 201, r.text
    return r.json()


async def test_five_unanswered_for_21_days(client, people, app, settings):
    assert_problem(await client.get(URL), 401)
    assert_problem(await client.get(URL, headers=people["portal"]), 403)
    five = [await cite(client, people, "5OLD", 30 + n) for n in range(5)]
    for n in range(4):
        await cite(client, people, "4OLD", 40 + n)
    for n in range(4):  # four old ones and one too recent
        await cite(client, people, "RECENT", 40 + n)
    await cite(client, people, "RECENT", 10)
    contested = [await cite(client, people, "CONTEST", 30 + n) for n in range(5)]
    r = await client.post(
        f"{CITATIONS}/{contested[0]['id']}/contest",
        json={"reason": "Sign was covered"},
        headers=people["records"],
    )
    assert r.status_code == 200, r.text

    body = (await client.get(URL, headers=people["cso"])).json()
    assert (body["enabled"], body["min_citations"], body["unanswered_days"]) == (True, 5, 21)
    assert "22651" in body["citation"]
    assert [(x["plate"], x["count"]) for x in body["items"]] == [("5OLD", 5)]
    (plate,) = body["items"]
    assert sorted(c["number"] for c in plate["citations"]) == sorted(c["number"] for c in five)
    assert all(c["days_unanswered"] >= 30 for c in plate["citations"])
    assert plate["balance_cents"] == sum(c["balance_cents"] for c in plate["citations"]) > 0

    # Paying one answers it: the plate no longer qualifies.
    paid = await client.post(
        f"{CITATIONS}/{five[0]['id']}/payments",
        json={"amount_cents": 6300 + 2500, "method": "cash"},
        headers=people["records"],
    )
    assert paid.status_code == 201, paid.text
    assert (await client.get(URL, headers=people["cso"])).json()["items"] == []

    # Stricter numbers by setting; the pack's are the least; off is off.
    for n in range(5):
        await cite(client, people, "SIXTY", 60 + n)
    try:
        app.state.settings = settings.model_copy(update={"tow_eligibility_unanswered_days": 50})
        strict = (await client.get(URL, headers=people["cso"])).json()
        assert (strict["unanswered_days"], [x["plate"] for x in strict["items"]]) == (50, ["SIXTY"])
        app.state.settings = settings.model_copy(update={"tow_eligibility_unanswered_days": 1})
        assert (await client.get(URL, headers=people["cso"])).json()["unanswered_days"] == 21
        app.state.settings = settings.model_copy(update={"tow_eligibility_enabled": False})
        off = (await client.get(URL, headers=people["cso"])).json()
        assert (off["enabled"], off["items"]) == (False, [])
    finally:
        app.state.settings = settings
