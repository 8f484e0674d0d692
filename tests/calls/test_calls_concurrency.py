"""Two dispatchers at once: one wins, the other gets a clean 409/412, never both applied."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from csoapi.calls.models import Call, CallActivity
from tests.calls.helpers import call_body, create_call
from tests.factories import assert_problem, bearer, create_client, create_user, token_for


async def _setup(live_db, settings):
    with live_db() as s:
        units = [create_user(s, settings, "cso") for _ in range(2)]
        dispatchers = [
            bearer(token_for(s, settings, create_user(s, settings, "sergeant"))) for _ in range(2)
        ]
        cad = bearer(token_for(s, settings, create_client(s, settings, "cad")[0]))
    return units, dispatchers, cad


async def test_simultaneous_first_assignments(live_client, live_db, settings, postgres_only):
    units, dispatchers, cad = await _setup(live_db, settings)
    for _ in range(3):
        call = await create_call(live_client, cad)
        results = await asyncio.gather(
            *[
                live_client.post(
                    f"/api/v1/calls/{call['id']}/assign",
                    json={"assigned_to": str(units[i].id)},
                    headers=dispatchers[i],
                )
                for i in range(2)
            ]
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        winner = next(r for r in results if r.status_code == 200).json()
        with live_db() as s:
            assigned = s.scalars(
                sa.select(CallActivity).where(
                    CallActivity.call_id == call["id"], CallActivity.kind == "assigned"
                )
            ).all()
        assert len(assigned) == 1 and str(assigned[0].assigned_to) == winner["assigned_to"]


async def test_simultaneous_reassignments_with_one_etag(
    live_client, live_db, settings, postgres_only
):
    units, dispatchers, cad = await _setup(live_db, settings)
    call = await create_call(live_client, cad)
    r = await live_client.post(
        f"/api/v1/calls/{call['id']}/assign", json={"assigned_to": str(units[0].id)}, headers=cad
    )
    etag = r.headers["etag"]
    results = await asyncio.gather(
        *[
            live_client.post(
                f"/api/v1/calls/{call['id']}/assign",
                json={"assigned_to": str(units[1].id)},
                headers=dispatchers[i] | {"If-Match": etag},
            )
            for i in range(2)
        ]
    )
    assert sorted(r.status_code for r in results) == [200, 412], [r.text for r in results]


async def test_simultaneous_creates_with_one_external_id(
    live_client, live_db, settings, postgres_only
):
    """A CAD bridge replaying one incident on several connections: one call, the rest are
    409s naming it, and the numbers the losers took are given back (no gap)."""
    _, _, cad = await _setup(live_db, settings)
    results = await asyncio.gather(
        *[
            live_client.post(
                "/api/v1/calls",
                json=call_body(source="cad", external_id="E-RACE-1"),
                headers=cad,
            )
            for _ in range(6)
        ]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * 5, [r.text for r in results]
    winner = next(r for r in results if r.status_code == 201).json()
    for r in results:
        if r.status_code == 409:
            body = assert_problem(r, 409, "duplicate_external_id")
            assert body["existing_id"] == winner["id"]
    following = await create_call(live_client, cad, source="cad", external_id="E-RACE-2")
    assert int(following["number"][-6:]) == int(winner["number"][-6:]) + 1


async def test_a_cad_retrying_one_call_at_once_creates_it_once(
    live_client, live_db, settings, postgres_only
):
    """Call intake runs as one unit on asyncpg: eight copies of one keyed request
    at once wait on the key's unique index, and seven replay the first one's response."""
    _, _, cad = await _setup(live_db, settings)
    keyed = cad | {"Idempotency-Key": "cad-incident-2041"}
    body = call_body(external_id="INC-2041")
    results = await asyncio.gather(
        *[live_client.post("/api/v1/calls", json=body, headers=keyed) for _ in range(8)]
    )
    assert [r.status_code for r in results] == [201] * 8, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert len({r.json()["number"] for r in results}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 7
    assert_problem(
        await live_client.post("/api/v1/calls", json=call_body(description="other"), headers=keyed),
        422,
        "idempotency_key_reused",
    )
    with live_db() as s:
        created = s.scalar(sa.select(sa.func.count()).where(Call.external_id == "INC-2041"))
        numbered = s.scalar(sa.select(sa.func.count()).select_from(Call))
    assert (created, numbered) == (1, 1)


async def test_calls_list_pages_on_asyncpg(live_client, live_db, settings, postgres_only):
    """The calls list runs as one unit on asyncpg too: filters, `me`, and keyset pages."""
    units, dispatchers, cad = await _setup(live_db, settings)
    made = [await create_call(live_client, cad, external_id=f"INC-{i}") for i in range(3)]
    with live_db() as s:
        officer = bearer(token_for(s, settings, units[0]))
    mine = await create_call(live_client, officer, source="field", external_id="VIEW-1")
    first = await live_client.get("/api/v1/calls", params={"limit": 2}, headers=dispatchers[0])
    assert first.status_code == 200, first.text
    rest = await live_client.get(
        "/api/v1/calls",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=dispatchers[0],
    )
    seen = [c["id"] for c in first.json()["items"] + rest.json()["items"]]
    assert seen == [mine["id"]] + [c["id"] for c in reversed(made)]  # newest first, no repeats
    assert rest.json()["next_cursor"] is None
    me = await live_client.get("/api/v1/calls", params={"assigned_to": "me"}, headers=officer)
    assert [c["id"] for c in me.json()["items"]] == [mine["id"]]
    with live_db() as s:
        portal = bearer(token_for(s, settings, create_client(s, settings, "payment_portal")[0]))
    assert_problem(
        await live_client.get("/api/v1/calls", headers=portal), 403, "insufficient_scope"
    )
