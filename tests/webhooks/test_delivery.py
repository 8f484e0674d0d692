"""Deliveries end to end: events written through the API, ``csoapi worker``'s passes, a
real receiver on 127.0.0.1 (so this module's server allows private targets), every body
verified with both reference verifiers on the raw bytes."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import standardwebhooks
import svix.webhooks

from csoapi.core.db import make_session_factory
from csoapi.main import create_app
from csoapi.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from csoapi.webhooks.policy import Policy
from csoapi.webhooks.worker import Worker
from tests.calls.helpers import create_call
from tests.conftest import make_settings
from tests.factories import everyone
from tests.webhooks.receiver import Answer, Receiver

URL = "/api/v1/webhooks"
FAST = Policy((0, 1, 2, 3), 0.0, 60.0, 5.0, 5.0)  # four tries; seconds, not hours


@pytest.fixture(scope="module")
def settings(database):
    return make_settings(database.url, webhook_allow_private=True)


@pytest.fixture(scope="module")
def app(database, settings):
    return create_app(settings, engine=database.engine)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def worker(database, settings, clock=None, **kw) -> Worker:
    return Worker(
        make_session_factory(database.engine), settings, policy=FAST, clock=clock or Clock(), **kw
    )


def fan(w: Worker, expected: int) -> None:
    """Fan out until ``expected`` deliveries exist: on PostgreSQL the log shows an event
    only once every older transaction on the server has ended (``core.events``), and
    other databases' work on a shared server can hold that back for a moment."""
    made, deadline = 0, time.monotonic() + 30
    while made < expected and time.monotonic() < deadline:
        made += w.fan_out()
        if made < expected:
            time.sleep(0.05)
    assert made == expected


def rows(database, model, *where):
    with make_session_factory(database.engine)() as s:
        return list(s.scalars(sa.select(model).where(*where)))


async def subscribe(client, headers, url, **body):
    r = await client.post(URL, json={"url": url, **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def verify_both(secret: str, got) -> None:
    standardwebhooks.Webhook(secret).verify(got.body, got.headers)
    svix.webhooks.Webhook(secret).verify(got.body, got.headers)


async def test_events_arrive_signed_in_order_verifiable_by_both_libraries(
    client, db, settings, database
):
    cad = everyone(db, settings)["cad"].headers
    with Receiver() as rx:
        hook = await subscribe(client, cad, rx.url, event_types=["call.*"])
        call = await create_call(client, cad, source="cad", external_id="W1")
        w = worker(database, settings, clock=lambda: datetime.now(UTC))
        fan(w, 1)
        assert w.run_once() == 1
        (got,) = rx.received
        verify_both(hook["secret"], got)
        doc = standardwebhooks.Webhook(hook["secret"]).verify(got.body, got.headers)
        assert doc["type"] == "call.created" and doc["data"]["id"] == call["id"]
        feed = (await client.get("/api/v1/events", headers=cad)).json()["items"]
        created = [e for e in feed if e["type"] == "call.created"][-1]
        assert got.headers["webhook-id"] == created["id"]  # the feed's id: switch at any point
        assert got.headers["csoapi-event-position"] == created["position"]
        assert w.run_once() == 0  # nothing twice
    (d,) = rows(database, WebhookDelivery)
    assert (d.status, d.attempts, d.last_status_code) == ("succeeded", 1, 204)
    listed = (await client.get(f"{URL}/{hook['id']}/deliveries", headers=cad)).json()["items"]
    assert [(x["status"], x["attempts"]) for x in listed] == [("succeeded", 1)]
    assert listed[0]["last_latency_ms"] is not None


async def test_only_what_the_clients_scopes_and_filter_allow(client, db, settings, database):
    team = everyone(db, settings)
    with Receiver() as rx:
        await subscribe(client, team["payment_portal"].headers, rx.url)  # no calls:read
        await subscribe(client, team["cad"].headers, rx.url, event_types=["call.escalated"])
        await create_call(client, team["cad"].headers, source="cad", external_id="W2")
        assert worker(database, settings).run_once() == 0
        assert rx.received == []


async def test_failures_retry_on_the_schedule_then_dead_letter(client, db, settings, database):
    cad = everyone(db, settings)["cad"].headers
    clock = Clock()
    with Receiver(lambda n, r: Answer(500)) as rx:
        hook = await subscribe(client, cad, rx.url)
        await create_call(client, cad, source="cad", external_id="W3")
        w = worker(database, settings, clock=clock)
        fan(w, 1)
        assert w.run_once() == 1
        assert w.run_once() == 0  # not due yet: the next try is a second away
        for wait in (1, 2, 3):
            clock.advance(wait)
            assert w.run_once() == 1
        clock.advance(3600)
        assert w.run_once() == 0 and len(rx.received) == 4
    (d,) = rows(database, WebhookDelivery)
    assert (d.status, d.attempts, d.last_status_code) == ("dead", 4, 500)
    assert len({r.headers["webhook-id"] for r in rx.received}) == 1  # one message, four tries
    r = await client.post(f"{URL}/{hook['id']}/deliveries/{d.event_id}/redeliver", headers=cad)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    (endpoint,) = rows(database, WebhookEndpoint)
    assert endpoint.status == "active" and endpoint.failing_since is not None


async def test_gone_disables_and_redirects_are_not_followed(client, db, settings, database):
    cad = everyone(db, settings)["cad"].headers
    answers = {1: Answer(302, {"location": "http://127.0.0.1:1/elsewhere"}), 2: Answer(410)}
    with Receiver(lambda n, r: answers.get(n, Answer(204))) as rx:
        hook = await subscribe(client, cad, rx.url)
        await create_call(client, cad, source="cad", external_id="W4")
        clock = Clock()
        w = worker(database, settings, clock=clock)
        fan(w, 1)
        w.run_once()
        clock.advance(1)
        w.run_once()
        assert [r.path for r in rx.received] == ["/hook", "/hook"]
    got = (await client.get(f"{URL}/{hook['id']}", headers=cad)).json()
    assert got["status"] == "disabled" and "410" in got["disabled_reason"]
    (d,) = rows(database, WebhookDelivery)
    assert (d.status, d.attempts) == ("dead", 2)
    await create_call(client, cad, source="cad", external_id="W5")
    assert w.run_once() == 0  # a disabled endpoint gets nothing more


async def test_retry_after_is_honoured_and_a_timeout_is_a_failure(client, db, settings, database):
    cad = everyone(db, settings)["cad"].headers
    answers = {1: Answer(429, {"retry-after": "30"}), 2: Answer(204, delay=2.0)}
    with Receiver(lambda n, r: answers.get(n, Answer(204))) as rx:
        await subscribe(client, cad, rx.url)
        await create_call(client, cad, source="cad", external_id="W6")
        clock = Clock()
        w = worker(database, settings, clock=clock)
        w.policy = Policy((0, 1, 2, 3), 0.0, 60.0, 0.5, 5.0)  # a half-second timeout
        fan(w, 1)
        w.run_once()
        (d,) = rows(database, WebhookDelivery)
        assert d.next_attempt_at - clock.now >= timedelta(seconds=30)
        clock.advance(29)
        assert w.run_once() == 0
        clock.advance(2)
        assert w.run_once() == 1  # the receiver takes 2 s: past the timeout
        (a1, a2) = rows(database, WebhookAttempt)
        assert (a1.status_code, a2.status_code, a2.error) == (429, None, "timeout")
        assert len(rx.received) == 2


async def test_a_name_that_turns_private_at_delivery_is_not_sent_to(client, db, settings, database):
    """DNS rebinding: the target passed its check at creation; at delivery the name
    resolves to a loopback address, and a server refusing private targets sends nothing."""
    cad = everyone(db, settings)["cad"].headers
    with Receiver() as rx:
        await subscribe(client, cad, rx.url)
        await create_call(client, cad, source="cad", external_id="W7")
        strict = make_settings(settings.database_url, webhook_allow_private=False)
        w = Worker(make_session_factory(database.engine), strict, policy=FAST, clock=Clock())
        fan(w, 1)
        assert w.run_once() == 1
        assert rx.received == []
    (d,) = rows(database, WebhookDelivery)
    assert d.status == "pending" and d.last_error == "refused: private_target"


async def test_one_resource_in_order_while_an_earlier_event_waits(client, db, settings, database):
    cad = everyone(db, settings)["cad"].headers
    target: dict[str, str] = {}

    def fail_the_calls_first(n: int, got) -> Answer:  # noqa: ANN001
        first = target and target["id"] in got.body.decode() and not target.get("failed")
        if first:
            target["failed"] = "yes"
        return Answer(503) if first else Answer(204)

    with Receiver(fail_the_calls_first) as rx:
        await subscribe(client, cad, rx.url)
        call = await create_call(client, cad, source="cad", external_id="W8")
        target["id"] = call["id"]
        other = await create_call(client, cad, source="cad", external_id="W9")
        edit = {"description": "Car blocking the driveway, engine running"}
        r = await client.patch(
            f"/api/v1/calls/{call['id']}", json=edit, headers=cad | {"If-Match": '"1"'}
        )
        assert r.status_code == 200, r.text
        clock = Clock()
        w = worker(database, settings, clock=clock)
        fan(w, 3)
        while w.run_once():
            pass
        # The first call's first event failed: its later event waits; the other call's goes.
        first = [r for r in rx.received if call["id"] in r.body.decode()]
        assert len(first) == 1
        assert any(other["id"] in r.body.decode() for r in rx.received)
        clock.advance(2)
        while w.run_once():
            pass
        ids = [r.headers["webhook-id"] for r in rx.received if call["id"] in r.body.decode()]
        assert len(ids) == 3 and ids[0] == ids[1] and len(set(ids)) == 2


async def test_recovery_resends_what_was_delivered_since_a_time(client, db, settings, database):
    cad = everyone(db, settings)["cad"].headers
    with Receiver() as rx:
        hook = await subscribe(client, cad, rx.url)
        for n in range(3):
            await create_call(client, cad, source="cad", external_id=f"R{n}")
        w = worker(database, settings, clock=lambda: datetime.now(UTC))
        fan(w, 3)
        while w.run_once():
            pass
        assert len(rx.received) == 3
        since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        r = await client.post(f"{URL}/{hook['id']}/recover", json={"since": since}, headers=cad)
        assert r.status_code == 202 and r.json() == {"requeued": 3}
        while w.run_once():
            pass
        assert len(rx.received) == 6
        assert len({x.headers["webhook-id"] for x in rx.received}) == 3
    old = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    r = await client.post(f"{URL}/{hook['id']}/recover", json={"since": old}, headers=cad)
    assert r.status_code == 422 and r.json()["code"] == "beyond_retention"


async def test_a_rotated_secret_signs_with_both_until_the_grace_ends(
    client, db, settings, database
):
    cad = everyone(db, settings)["cad"].headers
    with Receiver() as rx:
        hook = await subscribe(client, cad, rx.url)
        new = (await client.post(f"{URL}/{hook['id']}/rotate-secret", headers=cad)).json()
        await create_call(client, cad, source="cad", external_id="K1")
        w = worker(database, settings, clock=lambda: datetime.now(UTC))
        fan(w, 1)
        w.run_once()
        (got,) = rx.received
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        verify_both(new["secret"], got)
        verify_both(hook["secret"], got)
    assert uuid.UUID(got.headers["webhook-id"])


async def test_the_log_keeps_events_for_the_retention_period(client, db, settings, database):
    cad = everyone(db, settings)["cad"].headers
    with Receiver() as rx:
        await subscribe(client, cad, rx.url)
        await create_call(client, cad, source="cad", external_id="P1")
        w = worker(database, settings, clock=lambda: datetime.now(UTC))
        fan(w, 1)
        w.run_once()
        assert len(rx.received) == 1
    assert w.purge() == (0, 0)  # nothing is old yet
    later = datetime.now(UTC) + timedelta(days=settings.event_retention_days + 1)
    w.clock = lambda: later
    assert w.purge() == (1, 1)
    feed = (await client.get("/api/v1/events", headers=cad)).json()["items"]
    assert [e for e in feed if e["type"] == "call.created"] == []
