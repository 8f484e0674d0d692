"""The soak's load generator (asyncio and httpx, in the soak's own process): a closed-loop
saturation run to find the peak of the mix, and an open-loop run at a fixed arrival rate,
whose latencies count from each request's scheduled start (so a stalled server cannot hide
its queue by slowing the generator down: no coordinated omission)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.mix import Mix, Req

MAX_IN_FLIGHT = 400  # beyond this an arrival is shed (and counted as an error)
ERROR_SAMPLES = 20  # answers kept per window to show what went wrong


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0–100) of ``values``; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n q / 100), at least the first
    return ordered[int(rank) - 1]


@dataclass
class Window:
    """What one sampling window saw: every answer's latency, and the errors."""

    started: float
    latencies_ms: list[float] = field(default_factory=list)
    late_ms: list[float] = field(default_factory=list)  # dispatch behind schedule
    errors: int = 0
    shed: int = 0
    by_op: Counter[str] = field(default_factory=Counter)
    op_ms: dict[str, list[float]] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)

    def record(self, op: str, latency_ms: float, late_ms: float, error: str | None) -> None:
        self.latencies_ms.append(latency_ms)
        self.late_ms.append(late_ms)
        self.by_op[op] += 1
        self.op_ms.setdefault(op, []).append(latency_ms)
        if error is not None:
            self.errors += 1
            if len(self.error_samples) < ERROR_SAMPLES:
                self.error_samples.append(f"{op}: {error}")

    def summary(self, ended: float) -> dict[str, Any]:
        seconds = max(ended - self.started, 1e-9)
        n = len(self.latencies_ms)
        return {
            "seconds": round(seconds, 2),
            "requests": n,
            "rps": round(n / seconds, 1),
            "errors": self.errors + self.shed,
            "shed": self.shed,
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p99_ms": round(percentile(self.latencies_ms, 99), 2),
            "late_p99_ms": round(percentile(self.late_ms, 99), 2),
            "by_op": dict(sorted(self.by_op.items())),
            "p99_by_op": {op: round(percentile(v, 99), 2) for op, v in sorted(self.op_ms.items())},
            "error_samples": list(self.error_samples)
            + ([f"{self.shed} arrivals shed: {MAX_IN_FLIGHT} in flight"] if self.shed else []),
        }


class Recorder:
    """The current window; ``cut()`` closes it and opens the next."""

    def __init__(self) -> None:
        self.window = Window(time.monotonic())

    def cut(self) -> dict[str, Any]:
        now = time.monotonic()
        done, self.window = self.window, Window(now)
        return done.summary(now)


Tokens = Callable[[str], str]


async def send(
    client: httpx.AsyncClient, tokens: Tokens, req: Req, scheduled: float, rec: Recorder
) -> bool:
    """One request; records its latency from ``scheduled`` and whether it was an error."""
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {tokens(req.who)}", **req.headers}
    error: str | None = None
    try:
        r = await client.request(req.method, req.path, json=req.json, headers=headers)
        if not 200 <= r.status_code < 300:
            error = f"{r.status_code} {r.text[:200]}"
        elif req.then is not None:
            req.then(r.status_code, r.json() if r.content else None, r.headers)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    except (ValueError, KeyError, TypeError) as exc:  # a 2xx the mix could not read
        error = f"unreadable answer: {type(exc).__name__}: {exc}"[:200]
    ended = time.monotonic()
    rec.window.record(req.op, (ended - scheduled) * 1000, (started - scheduled) * 1000, error)
    return error is None


def client_for(base: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=64)
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0)


async def closed_loop(
    base: str, mix: Mix, tokens: Tokens, *, users: int, seconds: float, seed: int = 1
) -> dict[str, Any]:
    """``users`` loops sending back to back for ``seconds``: the mix's saturation rate."""
    rng = random.Random(seed)
    rec = Recorder()
    stop = time.monotonic() + seconds

    async def user() -> None:
        while time.monotonic() < stop:
            await send(client, tokens, mix.next(rng), time.monotonic(), rec)

    async with client_for(base) as client:
        await asyncio.gather(*(user() for _ in range(users)))
    out = rec.cut()
    out["ok_rps"] = round((out["requests"] - out["errors"]) / out["seconds"], 1)
    return out


async def open_loop(
    base: str,
    mix: Mix,
    tokens: Tokens,
    *,
    rate: float,
    seconds: float,
    every: float,
    sample: Callable[[dict[str, Any]], Awaitable[None]],
    seed: int = 2,
) -> None:
    """Arrivals every ``1 / rate`` s for ``seconds``; every ``every`` s the window closes and
    goes to ``sample`` (with the machine's and the servers' figures added there)."""
    rng = random.Random(seed)
    rec = Recorder()
    tasks: set[asyncio.Task[bool]] = set()
    start = time.monotonic()
    next_cut = start + every
    async with client_for(base) as client:
        i = 0
        while (at := start + i / rate) < start + seconds:
            i += 1
            if at >= next_cut:
                await sample(rec.cut())
                next_cut += every
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(tasks) >= MAX_IN_FLIGHT:
                rec.window.shed += 1
                continue
            task = asyncio.create_task(send(client, tokens, mix.next(rng), at, rec))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    await sample(rec.cut())
