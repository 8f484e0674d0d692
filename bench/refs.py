"""The two reference servers the lookup is measured against, on the same data.

- ``bare``: FastAPI answering a constant JSON body — the framework's ceiling on this machine.
- ``minimal``: what a quick script would do — FastAPI, an asyncpg pool, one query by plate and
  state, rows returned as JSON. No auth, no rate limit, no audit, no balance arithmetic.

Both are served by uvicorn the same way as the API (``--factory``, same worker count).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

LOOKUP = """
SELECT number, issued_at, violation_code, violation_description, fine_cents, paid_cents,
       due_date, location
FROM citation
WHERE plate = $1 AND plate_state = $2 AND kind = 'citation'
  AND state IN ('open', 'contested', 'collections')
ORDER BY issued_at
LIMIT 200
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


def minimal() -> FastAPI:
    dsn = os.environ["BENCH_REF_DSN"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/api/v1/citations/lookup")
    async def lookup(plate: str, plate_state: str) -> dict[str, Any]:
        rows = await app.state.pool.fetch(LOOKUP, plate, plate_state)
        return {"items": [dict(r) for r in rows]}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
