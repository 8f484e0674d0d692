"""The benchmark: load, serve, drive, compare with the references, write RESULTS.md.

Run with ``make bench`` (or ``python -m bench``); ``--quick`` loads a tenth of the rows and
runs each scenario briefly, to try the harness itself.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench import ab, load, pools, report
from bench.harness import (
    OUT,
    ROOT,
    Result,
    Server,
    alternated,
    ensure_wrk,
    uvicorn_argv,
    wrk,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/csoapi_bench"
PORTS = {
    "csoapi": 8100, "bare": 8101, "asyncpg": 8102, "small": 8103, "samework": 8104, "old": 8105,
}  # fmt: skip
LIST_PATH = "/api/v1/calls?status=cleared&priority=2&limit=50"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows, short runs")
    parser.add_argument("--seconds", type=int, default=15, help="measured time per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up time per scenario")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    parser.add_argument("--import-rows", type=int, default=250_000)
    parser.add_argument(
        "--against", metavar="COMMIT",
        help="also serve the API from COMMIT (a git worktree) and run each API scenario on both",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.import_rows = min(args.seconds, 5), 2, 50_000
    if not load.SHARED.is_dir():
        print(f"the benchmark shapes its data on the real extracts in {load.SHARED}: absent")
        return 2
    ensure_wrk()
    url = os.environ.get("CSOAPI_BENCH_DATABASE_URL", DEFAULT_URL)
    small_url = url + "_small"
    scale = 10 if args.quick else 1
    OUT.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)

    print(f"loading {url} ...", flush=True)
    big = load.build(
        url, citations=1_000_000 // scale, plates=300_000 // scale, calls=500_000 // scale
    )
    print(f"  {big.citations:,} citations, {big.calls:,} calls: {_fmt(big.seconds)}", flush=True)
    small = load.build(small_url, citations=10_000, plates=3_000, calls=10_000)
    print(f"  small: {small.citations:,} citations: {_fmt(small.seconds)}", flush=True)
    load.write_plates(OUT / "plates.lua", big.plates, 20_000)
    load.write_plates(OUT / "plates_small.lua", small.plates, 3_000)

    ids = _pools(big)
    results: list[Result] = []
    run_id = f"{int(time.time())}"
    common = {"seconds": args.seconds, "warmup": args.warmup}
    secret = secrets.token_urlsafe(48)
    against: dict[str, str] = {}
    with ExitStack() as stack:
        tree = stack.enter_context(ab.Worktree(args.against)) if args.against else None
        if tree:
            against = {"commit": tree.sha, "imports": ab.check_runs(tree, server_started=False)}
            print(f"A/B against {tree.sha}: csoapi from {against['imports']}", flush=True)
        for workers in [int(w) for w in args.workers.split(",")]:
            print(f"\n== {workers} worker(s)", flush=True)
            got, portal = _api_round(
                big, small, ids, workers, secret, run_id, common, tree, against
            )
            results += got
            results += _references(url, secret, portal, workers, common)

    print("\n== import", flush=True)
    imported = _import(url, args.import_rows)
    data = {
        "started": started.isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "machine": report.machine(),
        "scale": {"citations": big.citations, "plates": len(big.plates), "calls": big.calls},
        "load_seconds": big.seconds,
        "results": [r.as_dict() for r in results],
        "import": imported,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "quick": args.quick,
        "against": against,
    }
    (OUT / "results.json").write_text(json.dumps(data, indent=2))
    verdicts = report.write(data, ROOT / "bench")  # with the context lines after the targets
    print("\n" + "\n".join(verdicts))
    return 0


def _fmt(seconds: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())


def _api_round(
    big: load.Loaded,
    small: load.Loaded,
    ids: dict[str, str],
    workers: int,
    secret: str,
    run_id: str,
    common: dict[str, Any],
    tree: ab.Worktree | None,
    against: dict[str, str],
) -> tuple[list[Result], str]:
    """The API scenarios on this tree's server (and the old tree's, in turns), then the
    lookup at 1M rows against 10k rows; the portal token for the same-work reference."""
    out: list[Result] = []
    with ExitStack() as stack:
        srv = stack.enter_context(_api_server("csoapi", big, PORTS["csoapi"], workers, secret))
        old = None
        if tree:
            old = stack.enter_context(
                _api_server(tree.sha, big, PORTS["old"], workers, secret, tree.env())
            )
            against["runs"] = ab.check_runs(tree, server_started=True)
            print(f"  {old.name} serves {against['runs']}", flush=True)
        tokens = _tokens(srv.base, big)
        old_tokens = _tokens(old.base, big) if old else tokens
        out += _api_scenarios(srv, old, big, (tokens, old_tokens), ids, run_id, common)
        # Lookup cost by table size: both servers up, driven in turns.
        with _api_server("csoapi-small", small, PORTS["small"], workers, secret) as sm:
            out += alternated(
                [(srv, "lookup (all rows)",
                  {"BENCH_TOKEN": tokens["portal"], "BENCH_PLATES": str(OUT / "plates.lua")}),
                 (sm, "lookup (10k rows)",
                  {"BENCH_TOKEN": _tokens(sm.base, small)["portal"],
                   "BENCH_PLATES": str(OUT / "plates_small.lua")})],
                "lookup.lua", connections=32, **common,
            )  # fmt: skip
    return out, tokens["portal"]


def _references(
    url: str, secret: str, portal: str, workers: int, common: dict[str, Any]
) -> list[Result]:
    """The lookup on the bare ceiling, the minimal asyncpg endpoint and asyncpg doing the
    same work as the API."""
    plates = str(OUT / "plates.lua")
    refs = [
        ("bare", "bench.refs:bare", {}, {"BENCH_PLATES": plates}),
        ("asyncpg", "bench.refs:minimal", {"BENCH_REF_DSN": url}, {"BENCH_PLATES": plates}),
        ("samework", "bench.refs:same_work",
         {"BENCH_REF_DSN": url, "BENCH_REF_SECRET": secret},
         {"BENCH_TOKEN": portal, "BENCH_PLATES": plates}),
    ]  # fmt: skip
    out = []
    for name, target, env, drive in refs:
        argv = uvicorn_argv(target, PORTS[name], workers)
        with Server(f"{name}-w{workers}", argv, env, PORTS[name], workers) as srv:
            out.append(wrk(srv, "lookup", "lookup.lua", connections=32, env=drive, **common))
    return out


def _pools(db: load.Loaded) -> dict[str, str]:
    """The Lua id tables of the per-resource scenarios (the same rows for both servers)."""
    return {
        name: str(pools.write_ids(OUT / f"{name}.lua", pools.sample(db.url, query, k)))
        for name, query, k in (
            ("payable", pools.PAYABLE, 5_000),
            ("citations", pools.CITATIONS, 20_000),
            ("calls", pools.CALLS, 5_000),
        )
    }


def _api_server(
    name: str,
    db: load.Loaded,
    port: int,
    workers: int,
    secret: str,
    extra: dict[str, str] | None = None,
) -> Server:
    argv = [str(Path(sys.executable).parent / "csoapi"), "serve", "--port", str(port),
            "--workers", str(workers)]  # fmt: skip
    env = {**_api_env(db.url, secret), **(extra or {})}
    return Server(f"{name}-w{workers}", argv, env, port, workers)


def _api_env(url: str, secret: str) -> dict[str, str]:
    return {
        "CSOAPI_DATABASE_URL": url,
        "CSOAPI_ENV": "production",
        "CSOAPI_JWT_SECRET": secret,
        # One portal client drives the whole load: its per-minute budget (120 by default)
        # would turn the run into a test of 429s.
        "CSOAPI_LOOKUP_RATE_PER_MINUTE": "100000000",
        "CSOAPI_CLIENT_RATE_PER_MINUTE": "10000000",  # the setting's maximum
        "CSOAPI_LOG_LEVEL": "WARNING",
        # Production asks people for a second factor (TOTP); the bench users sign in with a
        # password alone, as the benchmarks measure the API, not the enrolment.
        "CSOAPI_MFA_REQUIRED": "false",
    }


def _tokens(base: str, db: load.Loaded) -> dict[str, str]:
    def grant(data: dict[str, str]) -> str:
        r = httpx.post(f"{base}/api/v1/auth/token", data=data, timeout=30)
        r.raise_for_status()
        return str(r.json()["access_token"])

    out = {"cso": grant({"grant_type": "password", "username": db.username,
                         "password": load.PASSWORD})}  # fmt: skip
    for kind, key in (("payment_portal", "portal"), ("cad", "cad")):
        client_id, secret = db.client_secrets[kind]
        out[key] = grant(
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        )
    return out


def _api_scenarios(
    srv: Server,
    old: Server | None,
    db: load.Loaded,
    tokens: tuple[dict[str, str], dict[str, str]],
    ids: dict[str, str],
    run_id: str,
    common: dict[str, Any],
) -> list[Result]:
    """Each scenario on ``srv`` and, when there is one, on ``old`` in turns (one leg each;
    the calls list's two pages make four legs)."""
    new_t, old_t = tokens
    plates = str(OUT / "plates.lua")

    def both(name: str, key: str, **env: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """The scenario's env for each server: its own token and its own key space."""
        return (
            name,
            {**env, "BENCH_TOKEN": new_t[key], "BENCH_RUN": f"{run_id}{srv.name}"},
            {**env, "BENCH_TOKEN": old_t[key], "BENCH_RUN": f"{run_id}{old.name if old else ''}"},
        )

    def run(script: str, conns: int, *scenarios: tuple[str, dict[str, str], dict[str, str]]):
        return alternated(ab.paired(srv, old, list(scenarios)), script, connections=conns,
                          rounds=3 if old or len(scenarios) > 1 else 1, **common)  # fmt: skip

    out = run("lookup.lua", 32, both("lookup", "portal", BENCH_PLATES=plates))
    before, t0 = _counters(db.url, "citation"), datetime.now(UTC)
    issued = run("issue.lua", 16, both("issue citation", "cso", BENCH_PLATES=plates,
                                       BENCH_CODES=",".join(db.violation_codes)))  # fmt: skip
    note = _numbering_check(db.url, before, t0)
    for r in issued:
        r.note = note + (" (both servers together)" if old else "")
    out += issued
    calls = both("create call (CAD)", "cad", BENCH_CALL_TYPES=",".join(db.call_types))
    out += _written(db.url, "call", run_id, run("call.lua", 16, calls))
    deep, depth = _deep_page(srv.base, new_t["cso"], 1000)
    out += run("get.lua", 16, both("calls list page 1", "cso", BENCH_PATH=LIST_PATH),
               both(f"calls list page {depth}", "cso", BENCH_PATH=deep))  # fmt: skip
    # The routes that moved onto the one road with the renovation (issue 17).
    pay = both("payment (portal)", "portal", BENCH_IDS=ids["payable"])
    out += _written(db.url, "payment", run_id, run("pay.lua", 16, pay))
    noting = both("call note (CAD)", "cad", BENCH_IDS=ids["calls"])
    out += _written(db.url, "note", run_id, run("note.lua", 16, noting))
    out += run("byid.lua", 16, both("citation by id", "cso", BENCH_IDS=ids["citations"],
                                    BENCH_PATH="/api/v1/citations/%s"))  # fmt: skip
    return out


# The rows each write scenario leaves, found by the keys its Lua script builds from BENCH_RUN.
WRITTEN = {
    "call": "SELECT count(*) FROM call WHERE external_id LIKE %s",
    "payment": "SELECT count(*) FROM payment WHERE reference LIKE %s",
    "note": "SELECT count(*) FROM call_activity WHERE kind = 'note' AND text LIKE %s",
}
PREFIX = {"call": "wrk-{run}-%", "payment": "pay-{run}-%", "note": "bench note note-{run}-%"}


def _written(url: str, kind: str, run_id: str, results: list[Result]) -> list[Result]:
    """Note on each result the rows its server wrote: at least one per measured request (the
    warm-up writes too), or the run measured replays of an Idempotency-Key, not the work."""
    with psycopg.connect(url) as conn:
        for r in results:
            like = PREFIX[kind].format(run=f"{run_id}{r.server}-w{r.workers}")
            (rows,) = conn.execute(WRITTEN[kind], (like,)).fetchone() or (0,)
            flag = "" if rows >= r.requests else " (FEWER ROWS THAN REQUESTS)"
            r.note = f"{rows:,} rows written for {r.requests:,} measured requests{flag}"
    return results


def _counters(url: str, name: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT period, value FROM number_counter WHERE name = %s", (name,)
        ).fetchall()
    return {p: int(v) for p, v in rows}


def _numbering_check(url: str, before: dict[str, int], since: datetime) -> str:
    """Every number handed out during the run is there once, with no gap."""
    after = _counters(url, "citation")
    for _ in range(30):  # requests wrk gave up on may still be finishing on the server
        time.sleep(0.5)
        now = _counters(url, "citation")
        if now == after:
            break
        after = now
    with psycopg.connect(url) as conn:
        numbers = [
            n for (n,) in conn.execute(
                "SELECT number FROM citation WHERE created_at >= %s", (since,)
            ).fetchall()
        ]  # fmt: skip
    by_period: dict[str, list[int]] = {}
    for n in numbers:
        period, _, seq = n[1:].partition("-")
        by_period.setdefault(period, []).append(int(seq))
    ok = True
    for period, seqs in by_period.items():
        expected = list(range(before.get(period, 0) + 1, after[period] + 1))
        ok = ok and sorted(seqs) == expected
    verdict = "consecutive, no duplicates" if ok else "GAPS OR DUPLICATES"
    return f"{len(numbers)} numbers issued: {verdict}"


def _deep_page(base: str, token: str, page: int) -> tuple[str, int]:
    """The path of page ``page`` of the list (or the deepest page there is)."""
    path, depth = LIST_PATH, 1
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        while depth < page:
            r = client.get(path, timeout=30)
            r.raise_for_status()
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
            path, depth = f"{LIST_PATH}&cursor={cursor}", depth + 1
    return path, depth


def _import(url: str, rows: int) -> dict[str, Any]:
    csv_path = OUT / f"san_diego_x{rows}.csv"
    written = load.san_diego_repeated(csv_path, rows)
    env = {**os.environ, "CSOAPI_DATABASE_URL": url, "CSOAPI_LOG_LEVEL": "WARNING"}
    cli = str(Path(sys.executable).parent / "csoapi")
    t = time.perf_counter()
    proc = subprocess.run(  # noqa: S603
        [cli, "import", "calls", str(csv_path), "--mapping", "san_diego"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - t
    summary = proc.stdout.strip().splitlines()
    out = {
        "rows": written,
        "seconds": round(seconds, 2),
        "rows_per_second": round(written / seconds, 1),
        "report": summary[:8],
    }
    print(f"  {written:,} rows in {seconds:.1f} s = {written / seconds:,.0f} rows/s", flush=True)
    for line in summary[:8]:
        print(f"    {line}")
    return out


def _git(*args: str) -> str:
    try:
        return subprocess.run(  # noqa: S603
            ["git", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,  # noqa: S607
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
