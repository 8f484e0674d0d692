"""What ``test_crash.py`` drives: ``csoapi serve`` and ``csoapi worker`` as processes of their
own on the test database (started, SIGKILLed, started again), a burst of keyed writes whose
answers are kept, so that what was acknowledged is known when the server dies, and the
webhook side: what the database marks delivered against what the sink received."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from csoapi.clients.models import ApiClient
from csoapi.core.config import Settings
from csoapi.core.events import OutboxEvent
from csoapi.core.scopes import scopes_for
from csoapi.webhooks.matching import receives
from csoapi.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.cluster import CSOAPI, Process, environment, launch
from tests.servers import free_port, wait_until_serving
from tests.webhooks.receiver import Receiver

# The restarted worker waits out what the killed one had claimed: a lease just over the
# receivers' timeout (15 s) instead of the default 90 s a batch of five would hold.
LEASE_SECONDS = 16
WORKER_GRACE = 10  # seconds the worker may take to be caught holding a claimed batch


class Processes:
    """One ``csoapi serve`` and one ``csoapi worker`` on the test database, started, killed
    and started again (each run on a port and in log files of its own), with the test's
    settings: the pieces of ``tests/cluster.py``, driven one run at a time."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.env = environment(
            settings.model_copy(update={"webhook_allow_private": True, "max_in_flight": 8})
        )
        self.logs = logs
        self.runs = 0
        self.server: Process | None = None
        self.worker: Process | None = None
        self.base = ""
        self.port = 0

    def spawn(self) -> None:
        """Both started, on a fresh port (the worker imports while the server does)."""
        self.runs += 1
        self.port = free_port()
        serve = ["serve", "--port", str(self.port)]
        work = ["worker", "--idle", "0.1", "--batch", "5", "--lease", str(LEASE_SECONDS)]
        self.server = launch(f"serve-{self.runs}", serve, self.env, self.logs)
        self.worker = launch(f"worker-{self.runs}", work, self.env, self.logs)

    def ready(self) -> str:
        """The server's base URL, once it answers."""
        assert self.server is not None
        if wait_until_serving(self.port, self.server.popen) != 200:
            self.kill()
            raise AssertionError(self.server.text()[-3000:])
        self.base = f"http://127.0.0.1:{self.port}"
        return self.base

    def start(self) -> str:
        self.spawn()
        return self.ready()

    def kill(self, *names: str) -> None:
        """SIGKILL (``server``, ``worker``; both by default): no handler runs, no transaction
        is ended by the process."""
        procs = [p for n in names or ("server", "worker") if (p := getattr(self, n))]
        for proc in procs:
            proc.signal(signal.SIGKILL)
        for proc in procs:
            proc.popen.wait(timeout=20)

    def stop(self) -> None:
        procs = [p for p in (self.server, self.worker) if p is not None]
        for proc in procs:
            proc.signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=20)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own entry point
            [str(CSOAPI), *args], env=self.env, capture_output=True, text=True, timeout=120
        )


@dataclass
class Write:
    """One keyed request of the burst and what became of it."""

    kind: str  # payment, custody or call
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int | None = None  # the first answer's status; None: none came
    answer: dict[str, Any] | None = None
    failure: str | None = None  # why no answer came (the connection's fate)
    unanswered_at_kill: bool = False

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def key(self) -> str:
        return self.headers["Idempotency-Key"]


@dataclass
class Burst:
    writes: list[Write]
    kill_after: int  # acknowledgements before the kill
    kill: Callable[[], None]
    acknowledged_at_kill: int = 0
    killed: bool = False
    done: set[int] = field(default_factory=set)

    async def _send(self, http: httpx.AsyncClient, i: int) -> None:
        w = self.writes[i]
        try:
            r = await http.post(w.path, json=w.body, headers=w.headers)
        except httpx.HTTPError as exc:
            w.failure = type(exc).__name__
        else:
            w.status = r.status_code
            if w.acknowledged:
                w.answer = r.json()
        finally:
            self.done.add(i)
        if not self.killed and sum(x.acknowledged for x in self.writes) >= self.kill_after:
            self._kill_now()

    def _kill_now(self) -> None:
        self.killed = True
        self.acknowledged_at_kill = sum(x.acknowledged for x in self.writes)
        for i, w in enumerate(self.writes):
            w.unanswered_at_kill = i not in self.done
        self.kill()

    async def fire(self, base: str) -> None:
        """Every write at once; the processes are killed as the ``kill_after``-th
        acknowledgement arrives (answers already on their way still count)."""
        limits = httpx.Limits(max_connections=len(self.writes))
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            await asyncio.gather(*(self._send(http, i) for i in range(len(self.writes))))
        assert self.killed, "every write was answered before the kill"

    def figures(self) -> dict[str, int]:
        ws = self.writes
        return {
            "writes": len(ws),
            "acknowledged_at_kill": self.acknowledged_at_kill,
            "acknowledged": sum(w.acknowledged for w in ws),
            "unanswered_at_kill": sum(w.unanswered_at_kill for w in ws),
            "refused_before_kill": sum(w.status is not None and not w.acknowledged for w in ws),
            "no_answer": sum(w.status is None for w in ws),
        }


# -- webhooks: what the database marks delivered, what the sink got --------------------------
def deliveries(db) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per endpoint (``cad``, ``portal``): the events it receives, and those delivered."""
    wanted, delivered = {}, {}
    events = db.scalars(sa.select(OutboxEvent)).all()
    for endpoint in db.scalars(sa.select(WebhookEndpoint)).all():
        kind = db.get(ApiClient, endpoint.client_id).kind
        name = "cad" if kind == "cad" else "portal"
        scopes = scopes_for(kind)
        wanted[name] = {
            str(e.event_id)
            for e in events
            if receives(endpoint.event_types, scopes, e.type, e.read_scope)
        }
        done = sa.select(WebhookDelivery.event_id).where(
            WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "succeeded"
        )
        delivered[name] = {str(e) for e in db.scalars(done)}
    return wanted, delivered


def sink_got(sink: Receiver) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {"cad": [], "portal": []}
    with sink.lock:
        for r in sink.received:
            got[r.path.split("to=")[1]].append(r.headers["webhook-id"])
    return got


async def every_event_delivered(
    db, sink: Receiver, twice: int, timeout: float = 90
) -> dict[str, int]:
    """Every event delivered and received; ``twice``: how many the sink may have had twice
    (those the dead worker sent without recording it)."""
    deadline = time.monotonic() + timeout
    while True:
        db.commit()
        wanted, delivered = deliveries(db)
        if all(wanted[n] == delivered[n] for n in wanted) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    got = sink_got(sink)
    for name in wanted:
        assert wanted[name] == delivered[name], (name, len(wanted[name] - delivered[name]))
        assert wanted[name] <= set(got[name]), name  # none lost
    sent, events = sum(len(v) for v in got.values()), sum(len(v) for v in wanted.values())
    assert sent == events + twice, (sent, events, twice)  # only the crash's sends came again
    return {"events_delivered": events, "deliveries_received": sent}


async def kill_the_worker_mid_batch(db, processes: Processes, sink: Receiver) -> dict[str, int]:
    """The worker goes on delivering what committed before the server died: it is killed as
    soon as the sink has a request of a batch it claimed (sent, its outcome not yet
    recorded), or after ``WORKER_GRACE`` seconds if it never holds one."""
    deadline = time.monotonic() + WORKER_GRACE
    holding: set[str] = set()
    while time.monotonic() < deadline:
        db.commit()
        leased = sa.select(WebhookDelivery.event_id).where(WebhookDelivery.status == "delivering")
        holding = {str(e) for e in db.scalars(leased)}
        if holding & {i for ids in sink_got(sink).values() for i in ids}:
            break
        await asyncio.sleep(0.02)
    processes.kill("worker")
    db.commit()  # what the dead worker held is final now
    held = {str(e) for e in db.scalars(leased)}
    received = {i for ids in sink_got(sink).values() for i in ids}
    return {"worker_held_at_kill": len(held), "sent_unrecorded": len(held & received)}
