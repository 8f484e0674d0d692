"""Citation numbers under concurrent issuance: unique and gap-free (PostgreSQL row lock)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from csoapi.citations.models import Citation
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import bearer, create_user, token_for


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
