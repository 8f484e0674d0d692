"""Several processes on one PostgreSQL (issue 23): two ``csoapi serve`` and two ``csoapi
worker`` processes on the test database (``tests.cluster``, one cluster for the module), and
requests spread over both API processes at once:

- 1,000 concurrent issuances: every one 201, the numbers unique and contiguous;
- payments on one citation summing past its balance: never more accepted than was due;
- one Idempotency-Key raced across both processes: one resource, every success the same;
- events delivered by both workers: each exactly once at the receiver, none missing;
- two releases of one impound, one to each process: one release.

A 503 with ``Retry-After`` (``server_busy``: admission full, ``database_unavailable``) is what
the API promises a client may retry; the client here sends the same request again (with its
Idempotency-Key wherever a test counts what was made), and each test says how many retries
it took (``-s`` shows the figures). Every other answer is final, and a 500 fails the test.
Each process's log of the test is printed at its end, so a failing test shows it; a process
that died during a test fails it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from csoapi.citations.models import Citation, Payment
from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from csoapi.core.models import utcnow
from csoapi.core.numbering import CITATION_NUMBER, NumberCounter
from csoapi.impounds.models import Impound
from csoapi.webhooks.models import WebhookDelivery
from tests.calls.helpers import CALLS, call_body
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.cluster import Cluster
from tests.conftest import make_settings
from tests.factories import assert_problem, bearer, create_client, headers_for, token_for
from tests.impounds.helpers import URL as IMPOUNDS
from tests.impounds.helpers import tow
from tests.webhooks.receiver import Receiver

# All on one xdist worker: one cluster serves the module.
pytestmark = pytest.mark.xdist_group("processes")

IN_FLIGHT = 50
RETRIES = 20  # 503s one request may be answered before the test gives up on it
OWNER = {
    "owner": {"name": "Rosa Owner", "id_type": "CA DL", "id_number": "D1234567"},
    "proof_of_ownership": "current registration",
}


@pytest.fixture(scope="module")
def cluster(database, tmp_path_factory):
    if not database.is_postgres:
        pytest.skip("meaningful only on PostgreSQL (several processes on one database)")
    settings = make_settings(database.url, webhook_allow_private=True)
    with Cluster(settings, tmp_path_factory.mktemp("cluster"), api=2, workers=2) as running:
        print(f"cluster up in {running.startup_seconds:.1f} s")
        yield running
        print("CPU seconds:", {p.name: p.cpu_seconds() for p in running.processes})


@pytest.fixture(autouse=True)
def watched(cluster, db):
    """The processes' logs of this test, printed at its end (pytest shows them when it
    fails); and every process must still be running."""
    cluster.mark()
    yield
    print(cluster.logs(since_mark=True))
    assert not cluster.dead(), cluster.dead()


@dataclass
class Sent:
    """What a spread of requests got: each one's final answer, in the order sent; how many
    503s were retried; how long it all took."""

    responses: list[httpx.Response]
    retries: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)


async def _send(http: httpx.AsyncClient, url: str, request: dict[str, Any], sent: Sent):
    keyed = "Idempotency-Key" in request["with"].get("headers", {})
    r: httpx.Response | None = None
    for _ in range(RETRIES):
        try:
            r = await http.request(
                request.get("method", "POST"), url + request["path"], **request["with"]
            )
        except httpx.TransportError:
            if not keyed:  # only a keyed request may be sent again: it cannot act twice
                raise
            sent.retries += 1  # a kept-alive connection the server closed as it was reused
            continue
        if r.status_code != 503 or "retry-after" not in r.headers:
            return r
        sent.retries += 1
        await asyncio.sleep(float(r.headers["retry-after"]))
    raise AssertionError(f"no final answer after {RETRIES} tries: {r.text if r else 'none'}")


async def spread(
    cluster: Cluster, requests: list[dict[str, Any]], in_flight: int = IN_FLIGHT
) -> Sent:
    """Send request ``i`` to API process ``i mod n``, ``in_flight`` at a time in all."""
    urls, gate, sent = cluster.urls, asyncio.Semaphore(in_flight), Sent([])
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def one(i: int, request: dict[str, Any]) -> httpx.Response:
            async with gate:
                return await _send(http, urls[i % len(urls)], request, sent)

        sent.responses = await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    sent.seconds = time.monotonic() - started
    sent.statuses.update(r.status_code for r in sent.responses)
    assert 500 not in sent.statuses, [r.text for r in sent.responses if r.status_code == 500][:3]
    return sent


def post(path: str, body: Any, headers: dict[str, str], key: str | None = None) -> dict:
    h = headers | ({"Idempotency-Key": key} if key else {})
    return {"path": path, "with": {"json": body, "headers": h}}


def get(path: str, headers: dict[str, str]) -> dict:
    return {"path": path, "method": "GET", "with": {"headers": headers}}


async def one(cluster: Cluster, request: dict[str, Any], status: int) -> dict[str, Any]:
    """One request (to the first API process), which must answer ``status``; its body."""
    (r,) = (await spread(cluster, [request])).responses
    assert r.status_code == status, r.text
    return r.json()


def count(db, model: Any, *where: Any) -> int:
    return int(db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


class RowHeld:
    """Rows locked by the test (``FOR UPDATE``) while requests start: each waits on its row,
    or on what the first waiter holds (an Idempotency-Key claimed), so that they are all inside
    their transactions at once, in both processes, before any can finish. Leaving the block
    lets them go."""

    def __init__(self, database, table: str, *ids: str) -> None:
        url = sa.make_url(database.url).set(drivername="postgresql")
        self.libpq = url.render_as_string(hide_password=False)
        self.holder = psycopg.connect(self.libpq)
        lock = f"SELECT 1 FROM {table} WHERE id::text = ANY(%s) FOR UPDATE"  # noqa: S608
        if len(self.holder.execute(lock, (list(ids),)).fetchall()) != len(ids):
            self.holder.close()
            raise AssertionError(f"not every {table} of {ids} is there to lock")

    async def until_waiting(self, n: int, seconds: float = 60) -> None:
        """Until ``n`` backends of this database wait on a row or a transaction (not the
        workers' advisory lock of the audit chain)."""
        waiting, deadline = 0, time.monotonic() + seconds
        with psycopg.connect(self.libpq, autocommit=True) as watcher:
            while time.monotonic() < deadline:
                (waiting,) = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')"
                ).fetchone()
                if waiting >= n:
                    return
                await asyncio.sleep(0.05)
        raise AssertionError(f"{waiting} requests waited on the lock, not {n}")

    def __enter__(self) -> RowHeld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.holder.rollback()
        self.holder.close()


def report(name: str, sent: Sent) -> None:
    print(
        f"{name}: {len(sent.responses)} requests in {sent.seconds:.1f} s, "
        f"{sent.retries} 503 retries, {dict(sorted(sent.statuses.items()))}"
    )


# -- numbers ------------------------------------------------------------------------------


async def test_a_thousand_concurrent_issuances_take_contiguous_numbers(
    cluster, db, settings, postgres_only
):
    schedule(db, settings)
    cso = headers_for(db, settings, "cso")
    issue = [post(CITATIONS, citation_body(), cso, key=f"issue-{i}") for i in range(1000)]
    sent = await spread(cluster, issue)
    report("issuance", sent)
    assert sent.statuses == {201: 1000}, [r.text for r in sent.responses if r.status_code != 201]
    numbers = [r.json()["number"] for r in sent.responses]
    assert len(set(numbers)) == 1000, "a number was given twice"
    (period,) = {n.split("-")[0] for n in numbers}  # one year's counter: C2026
    taken = sorted(int(n.split("-")[1]) for n in numbers)
    assert taken == list(range(taken[0], taken[0] + 1000)), "a gap in the numbers"
    year = period.removeprefix(settings.citation_number_prefix)
    counter = db.get(NumberCounter, (CITATION_NUMBER.name, year))
    assert counter is not None and counter.value == taken[-1]
    assert count(db, Citation) == 1000


# -- money ---------------------------------------------------------------------------------


def _payer(db, settings) -> tuple[dict[str, str], dict[str, str]]:
    schedule(db, settings)
    portal, _ = create_client(db, settings, "payment_portal")
    return headers_for(db, settings, "cso"), bearer(token_for(db, settings, portal))


async def test_concurrent_payments_never_exceed_the_balance(
    cluster, db, settings, database, postgres_only
):
    cso, portal = _payer(db, settings)
    c = await one(cluster, post(CITATIONS, citation_body(), cso), 201)
    due = c["balance_cents"]
    amount = due // 10 + 1  # nine fit; forty are sent
    path = f"{CITATIONS}/{c['id']}/payments"
    body = {"amount_cents": amount, "method": "card"}
    payments = [post(path, body, portal, key=f"pay-{i}") for i in range(40)]
    with RowHeld(database, "citation", c["id"]) as lock:  # both processes' first ones queue
        racing = asyncio.create_task(spread(cluster, payments))
        await lock.until_waiting(2 * cluster.settings.in_flight_limit)
    sent = await racing
    report("payments", sent)
    accepted = [r for r in sent.responses if r.status_code == 201]
    for refused in (r for r in sent.responses if r.status_code != 201):
        code = assert_problem(refused, refused.status_code)["code"]
        assert (refused.status_code, code) in {(422, "overpayment"), (409, "citation_paid")}
    paid = sum(r.json()["amount_cents"] for r in accepted)
    assert len(accepted) == due // amount and paid <= due  # every one that fit, no more
    db_paid = db.scalar(
        sa.select(sa.func.sum(Payment.amount_cents)).where(
            Payment.citation_id == uuid.UUID(c["id"])
        )
    )
    assert db_paid == paid
    after = await one(cluster, get(f"{CITATIONS}/{c['id']}", cso), 200)
    assert after["balance_cents"] == due - paid >= 0


async def test_one_idempotency_key_raced_across_processes_makes_one_payment(
    cluster, db, settings, database, postgres_only
):
    cso, portal = _payer(db, settings)
    c = await one(cluster, post(CITATIONS, citation_body(), cso), 201)
    path = f"{CITATIONS}/{c['id']}/payments"
    body = {"amount_cents": 700, "method": "card", "reference": "raced"}
    key = f"raced-{uuid.uuid4().hex}"
    # As many as both processes admit at once (CSOAPI_MAX_IN_FLIGHT each): the first claims
    # the key and waits on the citation's lock; the rest wait on its claim.
    racers = 2 * cluster.settings.in_flight_limit
    with RowHeld(database, "citation", c["id"]) as lock:
        racing = asyncio.create_task(
            spread(cluster, [post(path, body, portal, key=key) for _ in range(racers)])
        )
        await lock.until_waiting(racers)
    sent = await racing
    report("one key raced", sent)
    won = [r for r in sent.responses if r.status_code == 201]
    for lost in (r for r in sent.responses if r.status_code != 201):
        assert_problem(lost, 409, "idempotency_key_busy")
    assert won, [r.text for r in sent.responses]
    assert len({r.content for r in won}) == 1, "the successes are not one payment"
    assert sum("idempotent-replayed" not in r.headers for r in won) == 1  # one made it
    assert count(db, Payment, Payment.citation_id == uuid.UUID(c["id"])) == 1
    posted = count(db, OutboxEvent, OutboxEvent.type == "payment.posted")
    assert posted == 1


# -- webhooks ------------------------------------------------------------------------------


def _deliveries_done(db, expected: int) -> bool:
    db.commit()  # a fresh snapshot
    done = count(db, WebhookDelivery, WebhookDelivery.status == "succeeded")
    return done >= expected and count(db, WebhookDelivery) == done


async def test_two_workers_deliver_each_event_exactly_once(cluster, db, settings, postgres_only):
    cad = headers_for(db, settings, "cad")
    events = 200
    with Receiver() as rx:
        hook = {"url": rx.url, "event_types": ["call.created"]}
        await one(cluster, post("/api/v1/webhooks", hook, cad), 201)
        calls = [post(CALLS, call_body(), cad, key=f"call-{i}") for i in range(events)]
        sent = await spread(cluster, calls)
        assert sent.statuses == {201: events}
        started, deadline = time.monotonic(), time.monotonic() + 90
        while not _deliveries_done(db, events) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        waited = time.monotonic() - started
        await asyncio.sleep(1.0)  # a second send in flight (two workers on one delivery) lands
    report("webhook calls", sent)
    print(f"webhooks: {len(rx.received)} deliveries received {waited:.1f} s after the last call")
    ids = Counter(x.headers["webhook-id"] for x in rx.received)
    twice = [i for i, n in ids.items() if n > 1]
    assert not twice, f"{len(twice)} events delivered more than once"
    created = db.scalars(sa.select(OutboxEvent.event_id).where(OutboxEvent.type == "call.created"))
    expected = {str(e) for e in created}
    assert len(expected) == events
    assert set(ids) == expected, f"{len(expected - set(ids))} events never delivered"


# -- impounds ------------------------------------------------------------------------------


async def _stored_and_paid(cluster: Cluster, cso, records) -> dict[str, Any]:
    at = (utcnow() - timedelta(hours=3)).isoformat()
    impound = await one(cluster, post(IMPOUNDS, tow(towed_at=at), cso), 201)
    quote = await one(cluster, get(f"{IMPOUNDS}/{impound['id']}/fees", records), 200)
    pay = {"amount_cents": quote["balance_cents"], "method": "card"}
    await one(cluster, post(f"{IMPOUNDS}/{impound['id']}/payments", pay, records), 201)
    return impound


async def test_two_releases_of_one_impound_at_once_make_one_release(
    cluster, db, settings, database, postgres_only
):
    cso, records = headers_for(db, settings, "cso"), headers_for(db, settings, "records")
    impounds = [await _stored_and_paid(cluster, cso, records) for _ in range(3)]
    # Each impound's two releases go one to each process (request i to process i mod 2).
    releases = [
        post(f"{IMPOUNDS}/{i['id']}/release", OWNER, records) for i in impounds for _ in (0, 1)
    ]
    with RowHeld(database, "impound", *(i["id"] for i in impounds)) as lock:
        racing = asyncio.create_task(spread(cluster, releases))
        await lock.until_waiting(len(releases))  # all six inside their transactions at once
    sent = await racing
    report("releases", sent)
    for n, impound in enumerate(impounds):
        pair = sent.responses[2 * n : 2 * n + 2]
        assert sorted(r.status_code for r in pair) == [200, 409], [r.text for r in pair]
        (lost,) = (r for r in pair if r.status_code == 409)
        assert_problem(lost, 409, "invalid_transition")
        row = db.get(Impound, uuid.UUID(impound["id"]))
        assert row is not None and row.status == "released"
        ours = AuditEvent.entity_id == impound["id"]
        assert count(db, AuditEvent, ours, AuditEvent.action == "impound.release") == 1
        released = (OutboxEvent.type == "impound.released", OutboxEvent.entity_id == impound["id"])
        assert count(db, OutboxEvent, *released) == 1
