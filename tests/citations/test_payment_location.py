"""A payment's Location resolves (issue 22: it pointed to a route that did not exist)."""

from __future__ import annotations

from tests.citations.test_payments import desk, issue, pay  # noqa: F401 - the fixture
from tests.factories import assert_problem


async def test_the_location_of_a_payment_reads_it_back_for_its_payer_and_records(client, desk):  # noqa: F811
    c = await issue(client, desk)
    r = await pay(client, desk, c, 1000, key="loc-1")
    assert r.status_code == 201, r.text
    where = r.headers["location"]
    assert where == f"/api/v1/payments/{r.json()['id']}"
    posted = {k: v for k, v in r.json().items() if k != "balance_cents"}  # the posting's own
    mine = await client.get(where, headers=desk["portal"])
    assert mine.status_code == 200 and mine.json() == posted
    assert (await client.get(where, headers=desk["records"])).json() == posted
    # Another portal cannot tell it exists; a CSO has no payments:read.
    assert_problem(await client.get(where, headers=desk["other_portal"]), 404, "payment_not_found")
    assert_problem(await client.get(where, headers=desk["cso"]), 403)
    assert_problem(
        await client.get(
            "/api/v1/payments/00000000-0000-4000-8000-000000000000", headers=desk["records"]
        ),
        404,
        "payment_not_found",
    )
