"""Rows for the scenarios that address one resource per request (a payment, a note, a read by
id), drawn at random from the loaded database and written as Lua tables for wrk."""

from __future__ import annotations

from pathlib import Path

import psycopg

# Open citations with room for many one-cent payments: a run posts a few per citation at most,
# so none is paid off (a paid one would answer 409 and turn the scenario into a test of errors).
PAYABLE = (
    "SELECT id FROM citation WHERE kind = 'citation' AND state = 'open' "
    "AND fine_cents - paid_cents >= 500 ORDER BY random() LIMIT %s"
)
CITATIONS = "SELECT id FROM citation ORDER BY random() LIMIT %s"
CALLS = "SELECT id FROM call ORDER BY random() LIMIT %s"


def sample(url: str, query: str, k: int) -> list[str]:
    with psycopg.connect(url) as conn:
        conn.execute("SELECT setseed(0.17)")
        return [str(i) for (i,) in conn.execute(query, (k,)).fetchall()]


def write_ids(path: Path, ids: list[str]) -> Path:
    """A Lua table of id strings (``return {"…", …}``); refuses an empty pool."""
    if not ids:
        raise ValueError(f"no rows for {path.name}")
    path.write_text("return {\n" + ",\n".join(f'"{i}"' for i in ids) + "\n}\n")
    return path
