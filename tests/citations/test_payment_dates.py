"""A payment counts from its posting, not from the date its payer states (issue 16, item 2).

An outside tester paid the balance a portal showed for a 60-day-old citation, dated the day
after issue: both penalty tiers vanished and 12,500 cents stood paid against 5,000 owed.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import (
    assert_problem,
    bearer,
    create_client,
    create_user,
    headers_for,
    token_for,
)

FINE, TIERS = 6300, (2500, 5000)  # the helpers' schedule: 21 and 56 days


@pytest.fixture
def desk(db, settings):
    schedule(db, settings)
    return {
        "cso": headers_for(db, settings, "cso"),
        "records": headers_for(db, settings, "records"),
        "portal": headers_for(db, settings, "payment_portal"),
    }


async def issue(client, desk, days_ago: int) -> tuple[dict, datetime]:
    issued_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    body = citation_body(issued_at=issued_at.isoformat())
    r = await client.post(CITATIONS, json=body, headers=desk["cso"])
    assert r.status_code == 201, r.text
    return r.json(), issued_at


def pay(client, desk, c, amount, paid_at: datetime | None):
    body = {"amount_cents": amount, "method": "card", "reference": "portal-7781"}
    if paid_at is not None:
        body["paid_at"] = paid_at.isoformat()
    headers = desk["portal"] | {"Idempotency-Key": str(uuid.uuid4())}
    return client.post(f"{CITATIONS}/{c['id']}/payments", json=body, headers=headers)


async def shown(client, desk, c) -> dict:
    """The portal's view of ``c`` (what a payer is asked to pay), or {} once nothing is owed."""
    r = await client.get(
        f"{CITATIONS}/lookup", params={"number": c["number"]}, headers=desk["portal"]
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    return items[0] if items else {}


async def read(client, desk, c) -> dict:
    r = await client.get(f"{CITATIONS}/{c['id']}", headers=desk["records"])
    assert r.status_code == 200, r.text
    return r.json()


def owed(view: dict) -> int:
    return view["fine_cents"] + view["penalties_cents"] - view["reductions_cents"]


async def test_paying_the_shown_balance_dated_the_day_after_issue_keeps_the_penalties(
    client, desk, settings
):
    c, issued_at = await issue(client, desk, days_ago=60)
    before = await shown(client, desk, c)
    assert (before["penalties_cents"], before["balance_cents"]) == (sum(TIERS), FINE + sum(TIERS))
    r = await pay(client, desk, c, before["balance_cents"], paid_at=issued_at + timedelta(days=1))
    assert r.status_code == 201, r.text
    assert datetime.fromisoformat(r.json()["paid_at"]) == issued_at + timedelta(days=1)  # as stated
    view = await read(client, desk, c)
    assert (view["status"], view["penalties_cents"], view["balance_cents"]) == (
        "paid",
        sum(TIERS),
        0,
    )
    assert view["paid_cents"] == owed(view) == FINE + sum(TIERS)  # nothing paid beyond what is owed
    # The payment line is dated by its posting: the day it moved the balance.
    posted_at = datetime.fromisoformat(r.json()["posted_at"])
    posted_on = posted_at.astimezone(settings.tz).date().isoformat()
    payments = [ln for ln in view["balance_lines"] if ln["kind"] == "payment"]
    assert [(ln["amount_cents"], ln["on"]) for ln in payments] == [
        (-(FINE + sum(TIERS)), posted_on)
    ]


async def test_a_backdated_partial_payment_takes_no_penalty_back(client, desk):
    c, issued_at = await issue(client, desk, days_ago=60)
    r = await pay(client, desk, c, FINE, paid_at=issued_at + timedelta(hours=2))
    assert r.status_code == 201, r.text
    view = await read(client, desk, c)
    assert (view["status"], view["penalties_cents"], view["balance_cents"]) == (
        "overdue",
        sum(TIERS),
        sum(TIERS),
    )
    assert (await shown(client, desk, c))["balance_cents"] == sum(
        TIERS
    )  # the portal still shows it
    # And more than that balance is refused, whatever date the payer gives.
    body = assert_problem(
        await pay(client, desk, c, sum(TIERS) + 1, paid_at=issued_at), 422, "overpayment"
    )
    assert body["balance_cents"] == sum(TIERS)


async def test_paid_at_cannot_predate_the_citation_nor_lie_ahead(client, desk):
    c, issued_at = await issue(client, desk, days_ago=30)
    body = assert_problem(
        await pay(client, desk, c, 100, paid_at=issued_at - timedelta(seconds=1)),
        422,
        "paid_before_issue",
    )
    assert body["field"] == "paid_at"
    assert datetime.fromisoformat(body["issued_at"]) == issued_at
    assert_problem(
        await pay(client, desk, c, 100, paid_at=datetime(1901, 1, 1, tzinfo=UTC)),
        422,
        "paid_before_issue",
    )
    assert_problem(
        await pay(client, desk, c, 100, paid_at=datetime.now(UTC) + timedelta(hours=1)),
        422,
        "time_in_future",
    )
    assert_problem(
        await pay(client, desk, c, 100, paid_at=datetime(1899, 12, 31, tzinfo=UTC)),
        422,
        "time_too_early",
    )
    assert (await read(client, desk, c))["paid_cents"] == 0  # nothing refused was kept
    assert (await pay(client, desk, c, 100, paid_at=issued_at)).status_code == 201
    assert (await pay(client, desk, c, 100, paid_at=None)).status_code == 201
    assert (await read(client, desk, c))["paid_cents"] == 200


async def test_reversing_a_backdated_payment_restores_the_balance_it_found(client, desk):
    c, issued_at = await issue(client, desk, days_ago=60)
    p = await pay(client, desk, c, FINE + sum(TIERS), paid_at=issued_at + timedelta(days=1))
    assert p.status_code == 201, p.text
    r = await client.post(
        f"/api/v1/payments/{p.json()['id']}/reverse",
        json={"reason": "chargeback"},
        headers=desk["records"],
    )
    assert r.status_code == 201, r.text
    view = await read(client, desk, c)
    assert (view["status"], view["paid_cents"], view["balance_cents"]) == (
        "overdue",
        0,
        FINE + sum(TIERS),
    )


async def test_concurrent_backdated_payments_never_together_exceed_what_is_owed(
    live_client, live_db, settings, postgres_only
):
    with live_db() as s:
        schedule(s, settings)
        desk = {
            "cso": bearer(token_for(s, settings, create_user(s, settings, "cso"))),
            "records": bearer(token_for(s, settings, create_user(s, settings, "records"))),
            "portal": bearer(
                token_for(s, settings, create_client(s, settings, "payment_portal")[0])
            ),
        }
    c, issued_at = await issue(live_client, desk, days_ago=60)
    amount = c["balance_cents"] // 5 + 1  # only four fit
    results = await asyncio.gather(
        *[
            pay(live_client, desk, c, amount, paid_at=issued_at + timedelta(days=1))
            for _ in range(8)
        ]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 4 + [422] * 4, [r.text for r in results]
    view = await read(live_client, desk, c)
    assert view["penalties_cents"] == sum(TIERS)
    assert view["paid_cents"] == 4 * amount <= owed(view)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), age=st.integers(min_value=0, max_value=120))
async def test_whatever_paid_at_a_payer_gives_the_balance_only_falls_by_what_it_pays(
    client, desk, data, age
):
    """Any sequence of payments, each with any date from issue to now: what had accrued stays,
    each accepted payment takes exactly its amount off, one beyond the balance is refused,
    and what is paid never exceeds what is owed."""
    c, issued_at = await issue(client, desk, days_ago=age)
    start = await read(client, desk, c)
    paid = 0
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="payments")):
        balance = owed(start) - paid
        if balance == 0:
            break
        amount = data.draw(st.integers(min_value=1, max_value=balance + 500), label="amount")
        # A point between issue and now (a fraction: what is drawn must not depend on the clock).
        part = data.draw(st.fractions(min_value=0, max_value=1), label="paid after issue")
        paid_at = issued_at + (datetime.now(UTC) - issued_at) * float(part)
        r = await pay(client, desk, c, amount, paid_at=paid_at)
        if amount > balance:
            assert assert_problem(r, 422, "overpayment")["balance_cents"] == balance
        else:
            assert r.status_code == 201, r.text
            paid += amount
        view = await read(client, desk, c)
        assert view["penalties_cents"] == start["penalties_cents"]
        assert view["paid_cents"] == paid <= owed(view)
        assert view["balance_cents"] == owed(view) - paid == owed(start) - paid
        assert (view["status"] == "paid") == (view["balance_cents"] == 0)
