"""The reference servers the lookup is measured against, on the same data.

- ``bare``: FastAPI answering a constant JSON body — the framework's ceiling on this machine.
- ``minimal``: what a quick script would do — FastAPI, an asyncpg pool, one query by plate and
  state, rows returned as JSON. No auth, no rate limit, no audit, no balance arithmetic.
- ``same_work``: the work the contract asks of the lookup, hand-written on asyncpg with no
  ORM: the bearer token verified, the session row checked (revocation is immediate), the
  client's rate budget read, the citations read with their payments, an audit row and the
  rate count written in one statement. Balances are fine minus payments (no penalty
  schedule). Context for the two targets the issue sets against ``bare`` and ``minimal``,
  not a target of its own.

All are served by uvicorn the same way as the API (``--factory``, same worker count).
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import FastAPI, Header, HTTPException
from jose import JWTError, jwt

LOOKUP = """
SELECT number, issued_at, violation_code, violation_description, fine_cents, paid_cents,
       due_date, location
FROM citation
WHERE plate = $1 AND plate_state = $2 AND kind = 'citation'
  AND state IN ('open', 'contested', 'collections')
ORDER BY issued_at
LIMIT 200
"""


PRINCIPAL = """
SELECT s.revoked_at, s.expires_at, c.id, c.client_id, c.kind, c.active
FROM auth_session s JOIN api_client c ON c.id = s.client_id
WHERE s.id = $1
"""
BUDGET_USED = """
SELECT coalesce(sum(count), 0) FROM rate_counter WHERE key = $1 AND window_start = $2
"""
LOOKUP_PAID = """
SELECT c.id, c.number, c.issued_at, c.violation_code, c.violation_description, c.location,
       c.plate, c.plate_state, c.fine_cents, c.due_date,
       coalesce(sum(CASE p.kind WHEN 'payment' THEN p.amount_cents ELSE -p.amount_cents END), 0)
         AS paid_cents
FROM citation c LEFT JOIN payment p ON p.citation_id = c.id
WHERE c.plate = $1 AND c.plate_state = $2 AND c.kind = 'citation'
  AND c.state IN ('open', 'contested', 'collections')
GROUP BY c.id
ORDER BY c.issued_at
LIMIT 200
"""
AUDIT_AND_COUNT = """
WITH audit AS (
  INSERT INTO audit_event (at, actor_kind, actor_id, actor_name, role, action, entity_type,
                           outcome, detail)
  VALUES ($1, 'client', $2, $3, $4, 'citation.lookup', 'citation', 'success', $5::json)
)
INSERT INTO rate_counter (key, window_start, shard, count) VALUES ($6, $7, $8, 1)
ON CONFLICT (key, window_start, shard) DO UPDATE SET count = rate_counter.count + 1
"""


def bare() -> FastAPI:
    app = FastAPI()
    body = {"items": [{"number": "C2026-0000001", "balance_cents": 6500, "location": "MAIN ST"}]}

    @app.get("/api/v1/citations/lookup")
    async def lookup() -> dict[str, Any]:
        return body

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _pooled() -> FastAPI:
    """An app holding an asyncpg pool on ``BENCH_REF_DSN`` (``app.state.pool``) while it
    serves, with ``/healthz``."""
    dsn = os.environ["BENCH_REF_DSN"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def minimal() -> FastAPI:
    app = _pooled()

    @app.get("/api/v1/citations/lookup")
    async def lookup(plate: str, plate_state: str) -> dict[str, Any]:
        rows = await app.state.pool.fetch(LOOKUP, plate, plate_state)
        return {"items": [dict(r) for r in rows]}

    return app


def same_work() -> FastAPI:
    secret = os.environ["BENCH_REF_SECRET"]
    limit = int(os.environ.get("BENCH_REF_RATE_PER_MINUTE", "100000000"))
    app = _pooled()

    def claims_of(authorization: str | None) -> dict[str, Any]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            raise HTTPException(401)
        try:
            claims = jwt.decode(
                token, secret, algorithms=["HS256"], audience="csoapi", issuer="csoapi"
            )
        except JWTError:
            raise HTTPException(401) from None
        if claims.get("kind") != "client" or "citations:lookup" not in claims["scope"].split():
            raise HTTPException(403)
        return claims

    @app.get("/api/v1/citations/lookup")
    async def lookup(
        plate: str, plate_state: str, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        claims = claims_of(authorization)
        now = datetime.now(UTC)
        window = now.replace(second=0, microsecond=0)
        async with app.state.pool.acquire() as conn:
            who = await conn.fetchrow(PRINCIPAL, uuid.UUID(claims["sid"]))
            if (
                who is None
                or who["revoked_at"] is not None
                or who["expires_at"] <= now
                or not who["active"]
                or str(who["id"]) != claims["sub"]
            ):
                raise HTTPException(401)
            key = f"lookup:client:{who['id']}"
            if await conn.fetchval(BUDGET_USED, key, window) >= limit:
                raise HTTPException(429)
            rows = await conn.fetch(LOOKUP_PAID, plate, plate_state)
            items = []
            for r in rows:
                balance = r["fine_cents"] - r["paid_cents"]
                if balance > 0:
                    items.append({**dict(r), "balance_cents": balance})
            detail = json.dumps({"by": "plate", "found": len(items)})
            await conn.execute(
                AUDIT_AND_COUNT, now, str(who["id"]), who["client_id"], who["kind"], detail,
                key, window, secrets.randbelow(8),
            )  # fmt: skip
        return {"items": items}

    return app
