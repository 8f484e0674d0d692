"""Servers under test and the load generator: start, wait, drive with wrk, measure, stop."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
LUA = ROOT / "bench" / "lua"
OUT = ROOT / "bench" / "out"
# Each wrk run's own number (BENCH_NONCE): wrk restarts its scripts' counters every run, so
# keys built from them alone would repeat between the warm-up and the measured rounds, and
# the server would answer replays (or 422 idempotency_key_reused) instead of doing the work.
_RUNS = itertools.count(1)


@dataclass
class Result:
    scenario: str
    server: str  # csoapi | bare | asyncpg | samework | the --against commit
    workers: int
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""
    rounds_rps: list[float] = field(default_factory=list)  # each measured run's own req/s

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Server:
    """A uvicorn-served app in its own process group, logs in ``bench/out/<name>.log``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, workers: int):
        self.name, self.argv, self.port, self.workers = name, argv, port, workers
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Server:
        OUT.mkdir(parents=True, exist_ok=True)
        log = (OUT / f"{self.name}.log").open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own argv
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {OUT / (self.name + '.log')}")
            try:
                httpx.get(self.base + "/healthz", timeout=1)
                if len(self.worker_pids()) >= self.workers:
                    time.sleep(1.0)  # every worker has finished its start-up
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def worker_pids(self) -> list[int]:
        """With one worker uvicorn serves in its own process; with more, in its children."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid]
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            children = [int(p) for p in path.read_text().split()]
        except OSError:
            return []
        return [pid for pid in children if not _is_helper(pid)]

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                continue
        return sizes


def _is_helper(pid: int) -> bool:
    """multiprocessing's resource tracker is a child of the supervisor, not a worker."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def uvicorn_argv(target: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing the Debian package", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=True)  # noqa: S603
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and could not be installed")
    return found


def _drive(
    server: Server,
    script: str,
    *,
    connections: int,
    duration: int,
    env: dict[str, str],
) -> dict[str, Any]:
    """One wrk run; the Lua script prints one summary line, returned as a dict."""
    full_env = {**os.environ, "BENCH_LUA": str(LUA), "BENCH_NONCE": str(next(_RUNS)), **env}
    proc = subprocess.run(  # noqa: S603
        [ensure_wrk(), "-t", str(min(2, connections)), "-c", str(connections),
         "-d", f"{duration}s", "--timeout", "10s", "-s", str(LUA / script),
         server.base + "/"],
        env=full_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            return dict(json.loads(line[6:]))
    raise RuntimeError(f"wrk printed no summary:\n{proc.stdout}\n{proc.stderr}")


def summarize(
    server: Server, scenario: str, connections: int, runs: list[dict[str, Any]]
) -> Result:
    """One result from one or more measured runs: requests over their summed time, and the
    median of the runs' p50 and p99 (with one run, its own)."""
    duration = sum(s["duration_us"] for s in runs) / 1e6
    requests = sum(s["requests"] for s in runs)
    errors = sum(s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"] for s in runs)
    result = Result(
        scenario=scenario,
        server=server.name.split("-")[0],
        workers=server.workers,
        connections=connections,
        requests=requests,
        seconds=round(duration, 2),
        rps=round(requests / duration, 1),
        p50_ms=round(statistics.median(s["p50_us"] for s in runs) / 1000, 2),
        p99_ms=round(statistics.median(s["p99_us"] for s in runs) / 1000, 2),
        errors=errors,
        rss_mb=server.rss_mb(),
        rounds_rps=[round(s["requests"] / (s["duration_us"] / 1e6), 1) for s in runs],
    )
    print(
        f"  {scenario:<28} {result.server:<8} w={result.workers} c={connections:<3} "
        f"{result.rps:>9.1f} req/s  p50 {result.p50_ms:>7.2f} ms  p99 {result.p99_ms:>7.2f} ms  "
        f"errors {errors}  rss {result.rss_mb} MB",
        flush=True,
    )
    return result


def wrk(
    server: Server,
    scenario: str,
    script: str,
    *,
    connections: int,
    seconds: int,
    warmup: int,
    env: dict[str, str],
) -> Result:
    """Warm up, then measure for ``seconds`` in one run."""
    legs = [(server, scenario, env)]
    return alternated(
        legs, script, connections=connections, seconds=seconds, warmup=warmup, rounds=1
    )[0]


def alternated(
    legs: list[tuple[Server, str, dict[str, str]]],
    script: str,
    *,
    connections: int,
    seconds: int,
    warmup: int,
    rounds: int = 3,
) -> list[Result]:
    """Compare fairly on a noisy machine: each leg (server, scenario, env: two servers, or
    two requests to one) is warmed up, then the legs take turns for ``rounds`` rounds of
    ``seconds / rounds`` each, so that drift in the machine's speed falls on all alike."""
    each = max(1, round(seconds / rounds))
    for server, _, env in legs:
        if warmup:
            _drive(server, script, connections=connections, duration=warmup, env=env)
    runs: list[list[dict[str, Any]]] = [[] for _ in legs]
    for _ in range(rounds):
        for i, (server, _, env) in enumerate(legs):
            runs[i].append(_drive(server, script, connections=connections, duration=each, env=env))
    return [
        summarize(server, scenario, connections, legs_runs)
        for (server, scenario, _), legs_runs in zip(legs, runs, strict=True)
    ]
