"""Citation numbers under concurrent issuance: unique and gap-free (PostgreSQL row lock)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from csoapi.citations.models import Citation
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import bearer, create_user, token_for
from tests.probes import close


async def test_fifty_concurrent_issuances(live_client, live_db, settings, postgres_only):
    with live_db() as s:
        schedule(s, settings)
        officers = [
            bearer(token_for(s, settings, create_user(s, settings, "cso"))) for _ in range(5)
        ]
    results = await asyncio.gather(
        *[
            live_client.post(CITATIONS, json=citation_body(plate=f"N{i}"), headers=officers[i % 5])
            for i in range(50)
        ]
    )
    assert [r.status_code for r in results] == [201] * 50, [
        r.text for r in results if r.status_code != 201
    ]
    seqs = sorted(int(r.json()["number"].split("-")[1]) for r in results)
    assert seqs == list(range(seqs[0], seqs[0] + 50))  # no duplicates, no gaps
    with live_db() as s:
        assert s.scalar(sa.select(sa.func.count(sa.distinct(Citation.number)))) == 50


async def test_two_api_instances_share_one_sequence(
    live_client, live_db, database, settings, postgres_only
):
    """Two app instances, each with its own engine and pool (as two processes would have),
    issuing at once draw from the one counter in the database."""
    import httpx

    from csoapi.main import create_app

    with live_db() as s:
        schedule(s, settings)
        officer = bearer(token_for(s, settings, create_user(s, settings, "cso")))
    other = create_app(settings)  # its own engine on the same database
    transport = httpx.ASGITransport(app=other, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://second") as second:
            clients = [live_client, second]
            results = await asyncio.gather(
                *[
                    clients[i % 2].post(
                        CITATIONS, json=citation_body(plate=f"P{i}"), headers=officer
                    )
                    for i in range(40)
                ]
            )
    finally:
        await close(other)
    assert [r.status_code for r in results] == [201] * 40
    seqs = sorted(int(r.json()["number"].split("-")[1]) for r in results)
    assert seqs == list(range(seqs[0], seqs[0] + 40))
