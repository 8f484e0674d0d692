"""CFS numbers show two year digits: a call received a century ago never takes, or blocks,
a number of this year's (the counter is the period the number shows)."""

from __future__ import annotations

from tests.calls.helpers import CALLS, call_body
from tests.factories import headers_for


async def _intake(client, cad, external_id: str, received_at: str) -> dict:
    r = await client.post(
        CALLS,
        json=call_body(source="cad", external_id=external_id, received_at=received_at),
        headers=cad,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_call_from_another_century_shares_the_shown_years_sequence(client, db, settings):
    cad = headers_for(db, settings, "cad")
    first = await _intake(client, cad, "N1", "2026-11-20T08:15:00-08:00")
    second = await _intake(client, cad, "N2", "2026-11-20T09:15:00-08:00")
    old = await _intake(client, cad, "N3", "1926-11-20T08:15:00-08:00")
    after = await _intake(client, cad, "N4", "2026-11-21T08:15:00-08:00")
    numbers = [c["number"] for c in (first, second, old, after)]
    assert numbers == ["CFS26-000001", "CFS26-000002", "CFS26-000003", "CFS26-000004"]
