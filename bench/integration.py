"""Integration benchmarks (issue 21): webhook deliveries per second with one and with two
``csoapi worker`` processes, and the statistics summary over 100k and over 1M calls.

    python -m bench.integration            (make bench-integration)

Prints figures and ratios measured in the same run; writes bench/RESULTS-integration.md.
Needs the local PostgreSQL (CSOAPI_BENCH_DATABASE_URL's server)."""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa

from bench.load import admin_url, recreate
from csoapi.core import events
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.figures import StatsQuery
from csoapi.core.migrate import upgrade
from csoapi.features import FEATURES
from csoapi.stats.service import StatsService

BASE = os.environ.get(
    "CSOAPI_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/csoapi_bench"
)
OUT = Path(__file__).with_name("RESULTS-integration.md")
SECRET = "bench-signing-key-" + "b" * 40


def _db(suffix: str) -> str:
    admin, name = admin_url(BASE)
    return f"{admin.rpartition('/')[0]}/{name}_{suffix}"


# -- webhooks ----------------------------------------------------------------------------------
def _receiver(port: int) -> subprocess.Popen[bytes]:
    """``bench/sink.py`` under uvicorn in a process of its own (keep-alive, 204 to all)."""
    exe = str(Path(sys.executable).with_name("uvicorn"))
    cmd = [exe, "bench.sink:app", "--port", str(port), "--log-level", "warning",
           "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=Path(__file__).parents[1])  # noqa: S603
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the benchmark's webhook receiver did not start")


def _hooks_db(url: str, events_n: int, port: int) -> None:
    recreate(url)
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as s, s.begin():
        client_id = uuid.uuid4()
        s.execute(
            sa.text(
                "INSERT INTO api_client (id, client_id, name, kind, secret_hash, active, version,"
                " created_at, updated_at) VALUES (:id, 'bench-cad', 'bench', 'cad', 'x', true, 1,"
                " now(), now())"
            ),
            {"id": client_id},
        )
        s.execute(
            sa.text(
                "INSERT INTO webhook_endpoint (id, client_id, url, event_types, secret, status,"
                " cursor_txid, cursor_row, version, created_at, updated_at) VALUES (:id, :c,"
                " :url, '[]', :secret, 'active', 0, 0, 1, now(), now())"
            ),
            {
                "id": uuid.uuid4(),
                "c": client_id,
                "url": f"http://127.0.0.1:{port}/hook",
                "secret": "whsec_" + "A" * 43 + "=",
            },
        )
        for n in range(events_n):
            events.append(
                s,
                "call.updated",
                entity_type="call",
                entity_id=f"bench-{n % 500}",
                read_scope="calls:read",
                payload={"n": n},
            )
    engine.dispose()


def _reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM webhook_attempt")
        conn.execute("DELETE FROM webhook_delivery")
        conn.execute("UPDATE webhook_endpoint SET cursor_txid = 0, cursor_row = 0")


def _delivered(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM webhook_delivery WHERE status = 'succeeded'"
        ).fetchone()
        return int(row[0]) if row else 0


def _deliver(url: str, workers: int, total: int) -> float:
    _reset(url)
    env = os.environ | {
        "CSOAPI_DATABASE_URL": url,
        "CSOAPI_WEBHOOK_ALLOW_PRIVATE": "true",
        "CSOAPI_JWT_SECRET": SECRET,
        "CSOAPI_ENV": "test",
        "CSOAPI_LOG_LEVEL": "WARNING",
    }
    exe = str(Path(sys.executable).with_name("csoapi"))
    cmd = [exe, "worker", "--batch", "50", "--concurrency", "4", "--idle", "0.05"]
    started = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL) for _ in range(workers)]  # noqa: S603
    try:
        while _delivered(url) < total:
            time.sleep(0.1)
        return time.perf_counter() - started
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)


def webhooks(events_n: int, rounds: int) -> dict[str, float]:
    port = 8140
    receiver = _receiver(port)
    url = _db("hooks")
    _hooks_db(url, events_n, port)
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(rounds):  # alternated, so that a drift of the machine hits both
        for k in (1, 2):
            times[k].append(_deliver(url, k, events_n))
    receiver.terminate()
    receiver.wait(10)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return {"events": events_n, "1 worker /s": events_n / one, "2 workers /s": events_n / two,
            "gain": one / two - 1}  # fmt: skip


# -- statistics --------------------------------------------------------------------------------
def _calls_db(url: str, n: int, seed: int = 3) -> None:
    recreate(url)
    upgrade(url)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    types = ["PARKING", "NOISE", "ABANDONED_VEHICLE", "ANIMAL", "THEFT_REPORT", "HAZARD"]
    dispositions = ["HANDLED", "ADVISED", "REPORT_TAKEN", "CITATION_ISSUED", "GONE_ON_ARRIVAL"]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cols = ("id, number, source, call_type, priority, address, beat, received_at, status,"
                " on_scene_at, cleared_at, escalated_at, disposition, version, created_at,"
                " updated_at")  # fmt: skip
        with cur.copy(f"COPY call ({cols}) FROM STDIN") as copy:
            for i in range(n):
                at = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
                scene = at + timedelta(seconds=rng.expovariate(1 / 900))
                cleared = scene + timedelta(seconds=rng.expovariate(1 / 1500))
                escalated = rng.random() < 0.04
                status = "escalated" if escalated else "cleared"
                row = (uuid.uuid4(), f"B{i:09d}", "cad", rng.choice(types), 3, "1 Main St",
                       str(rng.randint(100, 140)), at, status, scene,
                       None if escalated else cleared, scene if escalated else None,
                       None if escalated else rng.choice(dispositions), 1, at, at)  # fmt: skip
                copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) call")


def _summary_seconds(url: str, days: int, repeat: int) -> float:
    settings = Settings(database_url=url, env="dev", jwt_secret=SECRET)  # type: ignore[arg-type]
    engine = make_engine(url, settings)
    sources = [f.stats for f in FEATURES if f.stats is not None]
    ctx = RequestContext(principal=None, request_id="bench", source_ip=None, settings=settings)
    end = datetime.now(UTC)
    q = StatsQuery(start=end - timedelta(days=days), end=end)
    times = []
    try:
        for _ in range(repeat):
            with make_session_factory(engine)() as s:
                t = time.perf_counter()
                StatsService(s, ctx, sources).summary(q)
                times.append(time.perf_counter() - t)
                s.rollback()
    finally:
        engine.dispose()
    return statistics.median(times)


def stats(sizes: tuple[int, int], repeat: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for n in sizes:
        url = _db(f"stats_{n}")
        _calls_db(url, n)
        for days in (30, 365):
            out[f"{n:,} calls, {days} days (s)"] = _summary_seconds(url, days, repeat)
    small, big = sizes
    for days in (30, 365):
        out[f"{days} days: {big:,} / {small:,}"] = (
            out[f"{big:,} calls, {days} days (s)"] / out[f"{small:,} calls, {days} days (s)"]
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.integration", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller, to try the harness")
    args = parser.parse_args(argv)
    events_n, rounds = (500, 1) if args.quick else (3000, 3)
    sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    hooks = webhooks(events_n, rounds)
    print("webhooks:", {k: round(v, 2) for k, v in hooks.items()}, flush=True)
    figures = stats(sizes, 3 if args.quick else 5)
    print("stats:", {k: round(v, 4) for k, v in figures.items()}, flush=True)
    lines = ["# Integration benchmarks", "", f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
             f" ({'quick' if args.quick else 'full'}), `python -m bench.integration`.", "",
             "## Webhook deliveries (a local receiver answering 204)", "",
             "| figure | value |", "|---|---|"]  # fmt: skip
    lines += [f"| {k} | {v:,.2f} |" for k, v in hooks.items()]
    lines += ["", "Target: the second worker adds at least 60% (gain ≥ 0.60).", "",
              "## Statistics summary (median of repeated runs)", "",
              "| figure | value |", "|---|---|"]  # fmt: skip
    lines += [f"| {k} | {v:,.4f} |" for k, v in figures.items()]
    lines += ["", "Target: over 1M calls within 2× of the cost over 100k."]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
