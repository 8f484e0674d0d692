"""Several workers side by side (PostgreSQL: ``SKIP LOCKED`` leases) and a worker killed
mid-batch: nothing lost, nothing delivered twice, each resource's events in order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from csoapi.core import events
from csoapi.core.db import make_session_factory
from csoapi.main import create_app
from csoapi.webhooks.models import WebhookDelivery
from csoapi.webhooks.policy import Policy
from csoapi.webhooks.worker import Worker
from tests.conftest import make_settings
from tests.factories import everyone
from tests.webhooks.receiver import Answer, Receiver

QUICK = Policy((0, 0.05, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2), 0.1, 60.0, 5.0, 5.0)


@pytest.fixture(scope="module")
def settings(database):
    return make_settings(database.url, webhook_allow_private=True)


@pytest.fixture(scope="module")
def app(database, settings):
    return create_app(settings, engine=database.engine)


def updated(call_id: uuid.UUID, r: int, n: int) -> dict:
    """A ``call.updated`` as the catalogue has it: resource ``r``'s ``n``-th edit."""
    return {
        "id": str(call_id),
        "number": f"CFS26-{r:06d}",
        "call_type": "PARKING",
        "priority": 4,
        "status": "received",
        "beat": None,
        "assigned_to": None,
        "disposition": None,
        "version": n + 1,
        "fields": ["description"],
    }


def write_events(database, resources: int, per_resource: int) -> None:
    ids = [uuid.uuid4() for _ in range(resources)]
    with make_session_factory(database.engine)() as s, s.begin():
        for n in range(per_resource):
            for r in range(resources):
                events.append(
                    s,
                    "call.updated",
                    entity_type="call",
                    entity_id=ids[r],
                    read_scope="calls:read",
                    payload=updated(ids[r], r, n),
                )


def succeeded(rx: Receiver, answers: dict[int, int]) -> list:
    return [r for i, r in enumerate(rx.received, 1) if 200 <= answers.get(i, 204) < 300]


async def test_two_workers_deliver_a_thousand_events_exactly_once_in_order(
    client, db, settings, database, postgres_only
):
    cad = everyone(db, settings)["cad"].headers
    statuses: dict[int, int] = {}

    def every_third_fails(n: int, _r) -> Answer:
        statuses[n] = 500 if n % 3 == 0 else 204
        return Answer(statuses[n])

    with Receiver(every_third_fails) as rx:
        r = await client.post("/api/v1/webhooks", json={"url": rx.url}, headers=cad)
        assert r.status_code == 201, r.text
        write_events(database, resources=50, per_resource=20)
        stop = threading.Event()
        workers = [
            Worker(make_session_factory(database.engine), settings, policy=QUICK, batch=20)
            for _ in range(2)
        ]
        threads = [threading.Thread(target=w.run, args=(stop, 0.02)) for w in workers]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with make_session_factory(database.engine)() as s:
                open_ = s.scalar(
                    sa.select(sa.func.count())
                    .select_from(WebhookDelivery)
                    .where(WebhookDelivery.status != "succeeded")
                )
                total = s.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
            if total == 1000 and open_ == 0:
                break
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(30)
    ok = succeeded(rx, statuses)
    ids = [x.headers["webhook-id"] for x in ok]
    assert len(ids) == 1000 and len(set(ids)) == 1000  # none lost, none twice
    seen: dict[int, list[int]] = defaultdict(list)
    import json

    for x in ok:
        data = json.loads(x.body)["data"]
        seen[data["number"]].append(data["version"])
    assert all(ns == list(range(1, 21)) for ns in seen.values()) and len(seen) == 50


async def test_a_worker_killed_mid_batch_loses_nothing(
    client, db, settings, database, postgres_only
):
    cad = everyone(db, settings)["cad"].headers
    with Receiver(lambda n, r: Answer(204, delay=0.3)) as rx:
        r = await client.post("/api/v1/webhooks", json={"url": rx.url}, headers=cad)
        assert r.status_code == 201, r.text
        write_events(database, resources=30, per_resource=1)
        env = os.environ | {
            "CSOAPI_DATABASE_URL": database.url,
            "CSOAPI_WEBHOOK_ALLOW_PRIVATE": "true",
            "CSOAPI_JWT_SECRET": "test-signing-key-" + "k" * 40,
            "CSOAPI_ENV": "test",
        }
        csoapi = str(Path(sys.executable).with_name("csoapi"))
        cmd = [csoapi, "worker", "--batch", "30", "--idle", "0.1"]
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
        try:
            deadline = time.monotonic() + 60
            while len(rx.received) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(rx.received) >= 3, "the worker process never delivered"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        delivered_before = len(rx.received)
        assert delivered_before < 30  # killed mid-batch
        # The dead worker's lease runs out; another worker takes everything up.
        later = datetime.now(UTC) + timedelta(hours=2)
        rescue = Worker(
            make_session_factory(database.engine),
            settings,
            policy=QUICK,
            batch=50,
            clock=lambda: later,
        )
        while rescue.run_once():
            pass
    ids = {x.headers["webhook-id"] for x in rx.received}
    assert len(ids) == 30  # at least once: every event arrived
    with make_session_factory(database.engine)() as s:
        states = s.scalars(sa.select(WebhookDelivery.status)).all()
    assert set(states) == {"succeeded"} and len(states) == 30


def test_a_lease_outlasts_the_requests_of_its_batch_unless_told(database, settings):
    """By default a batch is leased for all its requests at the timeout and a minute; a
    shorter lease (``csoapi worker --lease``) may be given, but never one a single request
    could outlast."""
    sessions = make_session_factory(database.engine)
    timeout = QUICK.timeout_seconds
    default = Worker(sessions, settings, policy=QUICK, batch=10)
    assert default.lease == timedelta(seconds=10 * timeout + 60)
    given = Worker(sessions, settings, policy=QUICK, lease_seconds=timeout + 1)
    assert given.lease == timedelta(seconds=timeout + 1)
    with pytest.raises(ValueError, match="outlast"):
        Worker(sessions, settings, policy=QUICK, lease_seconds=timeout)
