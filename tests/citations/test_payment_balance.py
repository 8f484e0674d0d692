"""A payment's answer carries the citation's balance after it (issue 22: a portal had to
read the citation again to learn what was still owed)."""

from __future__ import annotations

from tests.citations.test_payments import desk, issue, pay  # noqa: F401 - the fixture
from tests.factories import assert_problem


async def test_each_payment_answers_what_is_still_owed(client, desk):  # noqa: F811
    c = await issue(client, desk)
    owed = c["balance_cents"]
    assert owed > 1000
    first = await pay(client, desk, c, 1000, key="bal-1")
    assert first.status_code == 201, first.text
    assert first.json()["balance_cents"] == owed - 1000
    read = await client.get(f"/api/v1/citations/{c['id']}", headers=desk["records"])
    assert read.json()["balance_cents"] == first.json()["balance_cents"]

    replay = await pay(client, desk, c, 1000, key="bal-1")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()  # the first answer, its balance included

    rest = await pay(client, desk, c, owed - 1000, key="bal-2")
    assert rest.status_code == 201 and rest.json()["balance_cents"] == 0
    settled = assert_problem(await pay(client, desk, c, 1, key="bal-3"), 409, "citation_paid")
    assert settled["balance_cents"] == 0


def test_the_contract_documents_it():
    import json

    from csoapi.openapi import render

    doc = json.loads(render())
    op = doc["paths"]["/api/v1/citations/{citation_id}/payments"]["post"]
    ref = op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "balance_cents" in schema["required"]
