"""The soak (issue 23 item 7): mixed traffic over every domain at half the measured peak,
open loop, for 30 minutes; no error, RSS flat, p99 flat. Writes bench/RESULTS-soak.md,
bench/results-soak.png and the ``## Soak`` section of bench/RESULTS.md.

    python -m bench.soak [--minutes 30] [--quick]        (make soak; BENCH_ARGS=--quick)

It loads its own PostgreSQL database (CSOAPI_BENCH_DATABASE_URL with ``_soak`` appended)
with ``bench.load``, serves the API as ``make bench`` does (``csoapi serve``, production
settings, ``--workers 2`` by default), runs one ``csoapi worker`` delivering webhooks to
``bench/sink.py``, finds the peak of the mix (``bench/mix.py``) with a closed-loop
saturation run, then drives half that rate with fixed arrivals (``bench/drive.py``),
sampling every window: requests, errors, p50/p99, the RSS of every server and worker
process, PostgreSQL connections and the webhook backlog. ``--quick`` is a 2-minute trial
on a small database."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa

from bench import drive, load, mix, pools, report, soak_report
from bench.harness import OUT, ROOT, Server
from bench.integration import _receiver
from bench.mix import Mix, World
from bench.run import DEFAULT_URL, _api_env, _api_server, _git
from csoapi.clients.models import ApiClient
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.scopes import Role
from csoapi.demo import as_principal
from csoapi.users.schemas import UserCreate
from csoapi.users.service import UserService
from csoapi.webhooks.schemas import WebhookCreate
from csoapi.webhooks.service import WebhookService

PORT, SINK_PORT = 8150, 8151
USERS = {"sergeant": Role.sergeant, "records": Role.records, "admin": Role.admin}
REGRANT_SECONDS = 600  # access tokens live 15 minutes at most
DRAIN_SECONDS = 90
# A receiver on this machine: the API and the worker refuse private addresses unless told.
EXTRA_ENV = {"CSOAPI_WEBHOOK_ALLOW_PRIVATE": "true"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the soak")
    parser.add_argument("--quick", action="store_true", help="a 2-minute trial, small data")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the API")
    parser.add_argument("--every", type=float, default=30.0, help="seconds per window")
    parser.add_argument("--peak-seconds", type=float, default=60.0, help="saturation run")
    parser.add_argument("--users", type=int, default=32, help="concurrency of the peak run")
    args = parser.parse_args(argv)
    # A SIGTERM unwinds like Ctrl-C, so the servers, the worker and the receiver stop too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.minutes, args.every, args.peak_seconds = min(args.minutes, 2.0), 10.0, 20.0
    if not load.SHARED.is_dir():
        print(f"the soak shapes its data on the real extracts in {load.SHARED}: absent")
        return 2
    url = os.environ.get("CSOAPI_BENCH_DATABASE_URL", DEFAULT_URL) + "_soak"
    OUT.mkdir(parents=True, exist_ok=True)
    started, commit = datetime.now(UTC), _git("rev-parse", "--short", "HEAD")
    scale = (20_000, 6_000, 10_000) if args.quick else (100_000, 30_000, 50_000)
    print(f"loading {url} ...", flush=True)
    db = load.build(url, citations=scale[0], plates=scale[1], calls=scale[2])
    _add_users(url)
    secret = secrets.token_urlsafe(48)
    sink = _receiver(SINK_PORT)
    try:
        with _api_server("soak", db, PORT, args.workers, secret, EXTRA_ENV) as srv:
            data = _run(args, db, srv, secret)
    finally:
        sink.terminate()
        sink.wait(10)
    data |= {
        "started": started.isoformat(timespec="seconds"),
        "commit": commit,  # the tree the soak ran, whatever is committed meanwhile
        "machine": report.machine(),
        "scale": f"{db.citations:,} citations over {len(db.plates):,} plates, {db.calls:,} calls",
        "quick": args.quick,
    }
    (OUT / "soak.json").write_text(json.dumps(data, indent=2))
    print("\n" + "\n".join(soak_report.write(data, ROOT / "bench")))
    return 0


def _add_users(url: str) -> None:
    """The roles the mix needs beside the loader's CSO, with the loader's password."""
    settings = Settings(database_url=url, env="dev")
    engine = make_engine(url, settings)
    ctx = RequestContext(principal=None, request_id="soak-load", source_ip=None, settings=settings)
    try:
        with make_session_factory(engine)() as session:
            for key, role in USERS.items():
                UserService(session, ctx).create(
                    UserCreate(
                        username=f"bench.{key}",
                        full_name=f"Bench {key.title()}",
                        role=role,
                        password=load.PASSWORD,
                    )  # fmt: skip
                )
            session.commit()
    finally:
        engine.dispose()


class TokenBook:
    """Every principal's access token, granted again in a thread every ten minutes (so a
    grant's password hashing never stalls the event loop that drives the load)."""

    def __init__(self, base: str, grants: dict[str, dict[str, str]]) -> None:
        self.base, self.grants = base, grants
        self.tokens: dict[str, str] = {}
        self.stop = threading.Event()
        self.regrant()

    def regrant(self) -> None:
        fresh = {}
        for who, form in self.grants.items():
            r = httpx.post(f"{self.base}/api/v1/auth/token", data=form, timeout=30)
            r.raise_for_status()
            fresh[who] = str(r.json()["access_token"])
        self.tokens = fresh

    def __call__(self, who: str) -> str:
        return self.tokens[who]

    def keep_fresh(self) -> threading.Thread:
        def loop() -> None:
            wait = REGRANT_SECONDS
            while not self.stop.wait(wait):
                try:
                    self.regrant()
                    wait = REGRANT_SECONDS
                except httpx.HTTPError as exc:  # the old tokens still have minutes to live
                    print(f"  token grant failed ({exc}); again in 15 s", flush=True)
                    wait = 15

        thread = threading.Thread(target=loop, name="soak-tokens", daemon=True)
        thread.start()
        return thread


def _grants(db: load.Loaded) -> dict[str, dict[str, str]]:
    def user(name: str) -> dict[str, str]:
        return {"grant_type": "password", "username": name, "password": load.PASSWORD}

    out = {"cso": user(db.username), **{k: user(f"bench.{k}") for k in USERS}}
    for kind, key in (("payment_portal", "portal"), ("cad", "cad")):
        client_id, secret = db.client_secrets[kind]
        out[key] = {"grant_type": "client_credentials", "client_id": client_id,
                    "client_secret": secret}  # fmt: skip
    return out


def _arrange(base: str, book: TokenBook, db: load.Loaded, secret: str) -> World:
    """Through the API: the directory's organization and service, a provider client bound to
    it, two evidence shelves, the CAD client's webhook to the sink; the mix's world."""

    def call(who: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {book(who)}"}
        r = httpx.request(method, base + path, json=body, headers=headers, timeout=30)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:500]}")
        return r.json()

    org = call("admin", "POST", "/api/v1/organizations", mix.ORGANIZATION)
    service = call("admin", "POST", "/api/v1/services", mix.service_body(org["id"]))
    provider = call("admin", "POST", "/api/v1/clients", mix.provider_body(org["id"]))
    book.grants["provider"] = {"grant_type": "client_credentials",
                               "client_id": provider["client_id"],
                               "client_secret": provider["client_secret"]}  # fmt: skip
    book.regrant()
    room = call("records", "POST", "/api/v1/evidence/locations", mix.ROOM)
    shelves = [call("records", "POST", "/api/v1/evidence/locations",
                    mix.shelf_body(room["id"], i))["id"] for i in (1, 2)]  # fmt: skip
    _subscribe(db, secret)
    return World(
        cso_id=call("cso", "GET", "/api/v1/auth/me")["id"],
        locations=(shelves[0], shelves[1]),
        service_id=service["id"],
        org_id=org["id"],
        violation_codes=db.violation_codes,
        call_types=db.call_types,
        plates=db.plates[:: max(1, len(db.plates) // 20_000)],
        payable=pools.sample(db.url, pools.PAYABLE, 5_000),
    )


def _subscribe(db: load.Loaded, secret: str) -> None:
    """The CAD client's webhook to the receiver, every event it may read, made by the
    project's own service (the API in production takes https URLs only, and the receiver on
    this machine speaks plain http)."""
    settings = Settings(database_url=db.url, env="test", jwt_secret=secret,  # type: ignore[arg-type]
                        webhook_allow_private=True)  # fmt: skip
    engine = make_engine(db.url, settings)
    ctx = RequestContext(principal=None, request_id="soak-load", source_ip=None, settings=settings)
    try:
        with make_session_factory(engine)() as session:
            cad = session.scalars(
                sa.select(ApiClient).where(ApiClient.client_id == db.client_secrets["cad"][0])
            ).one()
            as_cad = as_principal(ctx, (cad.id, cad.client_id, cad.kind))
            WebhookService(session, as_cad).create(
                WebhookCreate(url=f"http://127.0.0.1:{SINK_PORT}/hook")
            )
            session.commit()
    finally:
        engine.dispose()


def _worker(url: str, secret: str) -> subprocess.Popen[bytes]:
    # Production, but for the env: the worker too refuses plain http in production.
    env = {**os.environ, "PYTHONPATH": str(ROOT), **_api_env(url, secret), **EXTRA_ENV,
           "CSOAPI_ENV": "test"}  # fmt: skip
    log = (OUT / "soak-worker.log").open("wb")
    cli = str(Path(sys.executable).parent / "csoapi")
    return subprocess.Popen(  # noqa: S603 - our own argv
        [cli, "worker", "--idle", "0.2"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _run(args: argparse.Namespace, db: load.Loaded, srv: Server, secret: str) -> dict[str, Any]:
    book = TokenBook(srv.base, _grants(db))
    mixed = Mix(_arrange(srv.base, book, db, secret))
    book.keep_fresh()
    worker = _worker(db.url, secret)
    try:
        print(f"peak: {args.users} at once for {args.peak_seconds:g} s ...", flush=True)
        peak = asyncio.run(drive.closed_loop(srv.base, mixed, book, users=args.users,
                                             seconds=args.peak_seconds))  # fmt: skip
        peak |= {"users": args.users}
        rate = peak["ok_rps"] / 2
        print(f"  {peak['ok_rps']} req/s ok, p99 {peak['p99_ms']} ms, errors {peak['errors']}"
              f" {peak['error_samples'][:3]}; soak at {rate:.1f} req/s", flush=True)  # fmt: skip
        windows: list[dict[str, Any]] = []
        sampler = Sampler(db.url, srv, worker, windows)
        asyncio.run(drive.open_loop(srv.base, mixed, book, rate=rate, seconds=args.minutes * 60,
                                    every=args.every, sample=sampler))  # fmt: skip
        hooks = _drain(db.url)
    finally:
        book.stop.set()
        worker.terminate()
        worker.wait(30)
    return {"peak": peak, "rate": rate, "minutes": args.minutes, "every": args.every,
            "workers": args.workers, "windows": windows, "webhooks": hooks,
            "mix": list(Mix.WEIGHTS)}  # fmt: skip


BACKLOG = """
SELECT (SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()),
       (SELECT count(*) FROM webhook_delivery WHERE status = 'succeeded'),
       (SELECT count(*) FROM webhook_delivery WHERE status IN ('pending', 'delivering')),
       (SELECT count(*) FROM webhook_delivery WHERE status = 'dead'),
       (SELECT percentile_cont(0.99) WITHIN GROUP
               (ORDER BY extract(epoch FROM d.delivered_at - e.occurred_at))
          FROM webhook_delivery d JOIN outbox_event e ON e.id = d.event_row
         WHERE d.delivered_at >= %s)
"""


def backlog(url: str, since: datetime) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        row = conn.execute(BACKLOG, (since,)).fetchone()
    assert row is not None
    conns, done, pending, dead, p99 = row
    return {"pg_connections": conns, "delivered": done, "pending": pending, "dead": dead,
            "delivery_p99_s": round(float(p99), 2) if p99 is not None else None}  # fmt: skip


class Sampler:
    """Adds to each closed window its time, the processes' RSS, PostgreSQL's figures and
    the load average, and prints it."""

    def __init__(self, url: str, srv: Server, worker: subprocess.Popen[bytes], out: list) -> None:
        self.url, self.srv, self.worker, self.out = url, srv, worker, out
        self.t0 = time.monotonic()
        self.last = datetime.now(UTC)
        self.cpu = (time.monotonic(), _own_cpu())
        self.api_cpu = (time.monotonic(), self.api_seconds())

    def api_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.srv.worker_pids())

    def rss(self) -> dict[str, float]:
        sizes = {f"api w{i + 1}": mb for i, mb in enumerate(self.srv.rss_mb())}
        sizes["webhook worker"] = rss_mb(self.worker.pid)
        return sizes

    async def __call__(self, window: dict[str, Any]) -> None:
        since, self.last = self.last, datetime.now(UTC)
        figures = await asyncio.to_thread(backlog, self.url, since)
        load1 = float(Path("/proc/loadavg").read_text().split()[0])
        t = round(time.monotonic() - self.t0, 1)
        (was, used), self.cpu = self.cpu, (time.monotonic(), _own_cpu())
        gen = round(100 * (self.cpu[1] - used) / max(self.cpu[0] - was, 1e-9), 1)
        (was, used), self.api_cpu = self.api_cpu, (time.monotonic(), self.api_seconds())
        api = self.api_cpu[1] - used  # the API workers' CPU seconds in the window
        cores = round(api / max(self.api_cpu[0] - was, 1e-9), 2)
        per_request = round(1000 * api / max(window["requests"], 1), 2)
        window |= {"t": t, "rss_mb": self.rss(), "load1": load1, "gen_cpu_pct": gen, **figures,
                   "api_cpu_cores": cores, "api_cpu_ms_per_request": per_request}  # fmt: skip
        self.out.append(window)
        w = window
        errors = f" {w['error_samples'][:2]}" if w["errors"] else ""
        print(f"  t={t:>6.0f}s {w['rps']:>6.1f} req/s err {w['errors']} "
              f"p50 {w['p50_ms']:>7.1f} p99 {w['p99_ms']:>7.1f} ms rss {w['rss_mb']} "
              f"conns {w['pg_connections']} hooks {w['delivered']}/{w['pending']} "
              f"load {load1}{errors}", flush=True)  # fmt: skip


def _own_cpu() -> float:
    """CPU seconds of this process (the load generator), user and system."""
    times = os.times()
    return times.user + times.system


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()  # after the name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _drain(url: str) -> dict[str, int]:
    """Wait for the worker to deliver what the soak left; the delivery figures at the end."""
    deadline = time.monotonic() + DRAIN_SECONDS
    figures = backlog(url, datetime.now(UTC))
    while figures["pending"] and time.monotonic() < deadline:
        time.sleep(1)
        figures = backlog(url, datetime.now(UTC))
    return {"succeeded": figures["delivered"], "undelivered": figures["pending"],
            "dead": figures["dead"]}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
