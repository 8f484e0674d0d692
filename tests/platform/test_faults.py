"""Faults on PostgreSQL (issue 23): a backend killed in the middle of a payment's transaction
leaves a clean 503 problem and nothing half-written; a database that is down when the API
starts makes ``/readyz`` 503 until it is up, then 200, with no restart."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

import psycopg
import pytest
import sqlalchemy as sa

from csoapi.citations.models import Payment
from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.conftest import make_settings, serving
from tests.factories import assert_problem, bearer, create_client, headers_for, token_for


@pytest.fixture
def desk(db, settings):
    schedule(db, settings)
    portal, _ = create_client(db, settings, "payment_portal")
    return {
        "cso": headers_for(db, settings, "cso"),
        "portal": bearer(token_for(db, settings, portal)),
    }


async def issue(client, desk):
    r = await client.post(CITATIONS, json=citation_body(), headers=desk["cso"])
    assert r.status_code == 201, r.text
    return r.json()


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_a_backend_killed_mid_payment_leaves_nothing_half_written(
    client, db, desk, database, postgres_only
):
    citation = await issue(client, desk)
    holder = psycopg.connect(_libpq(database.url))
    try:
        # Hold the citation's row: the payment's transaction begins, then waits on the lock.
        holder.execute("SELECT id FROM citation WHERE id = %s FOR UPDATE", (citation["id"],))
        headers = desk["portal"] | {"Idempotency-Key": "killed-mid-payment"}
        body = {"amount_cents": 500, "method": "card", "reference": "fault-test"}
        paying = asyncio.create_task(
            client.post(f"/api/v1/citations/{citation['id']}/payments", json=body, headers=headers)
        )
        killed = False
        with psycopg.connect(_libpq(database.url), autocommit=True) as admin:
            for _ in range(200):
                row = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                ).fetchone()
                if row is not None:
                    killed = admin.execute("SELECT pg_terminate_backend(%s)", row).fetchone()[0]
                    break
                await asyncio.sleep(0.05)
        assert killed, "the payment never waited on the lock"
    finally:
        holder.rollback()
        holder.close()
    answer = await paying
    assert_problem(answer, 503)
    assert answer.headers.get("retry-after")
    # Nothing of the payment is anywhere: no row, no event, no audit of a posting.
    assert db.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    events = db.scalars(sa.select(OutboxEvent.type)).all()
    assert "payment.posted" not in events
    actions = db.scalars(sa.select(AuditEvent.action)).all()
    assert not [a for a in actions if a.startswith("payment.") or a == "citation.pay"]
    # The same key again is a fresh attempt (the first left no record), and it succeeds.
    again = await client.post(
        f"/api/v1/citations/{citation['id']}/payments", json=body, headers=headers
    )
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers


class _Gate:
    """A TCP forwarder to PostgreSQL that refuses connections until opened: the database as
    the API sees it, down and then up."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.open = False
        self.sock.listen(16)
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.open:
                conn.close()  # down: the connection is dropped at once
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


async def test_readyz_is_503_while_the_database_is_down_then_200(database, postgres_only):
    real = sa.make_url(database.url)
    gate = _Gate((real.host or "127.0.0.1", real.port or 5432))
    url = real.set(host="127.0.0.1", port=gate.port).render_as_string(hide_password=False)
    settings = make_settings(url, database_connect_timeout_seconds=2)
    try:
        async with serving(settings) as c:
            down = await c.get("/readyz")
            assert_problem(down, 503)
            assert (await c.get("/healthz")).status_code == 200  # alive, not ready
            gate.open = True
            up = await c.get("/readyz")
            assert up.status_code == 200, up.text
    finally:
        gate.close()
