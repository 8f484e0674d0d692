"""The server SIGKILLed mid-burst (issue 23, item 3), on PostgreSQL: ``csoapi serve`` and
``csoapi worker`` run as processes of their own, the worker delivering to a sink on
127.0.0.1, while a burst of keyed writes (portal payments on several citations, custody
moves of several items, CAD call intakes) is in flight; both are SIGKILLed as the
``KILL_AFTER``-th acknowledgement arrives, then started again on the same database.

What must hold:
- every acknowledged write is there, and its key replays it (the same resource, not a new
  one); every key record holds a finished answer (none is half-written);
- nothing unacknowledged is half there: each payment has its audit row and its
  ``payment.posted`` event and the reverse, each citation's ``paid_cents`` is the sum of its
  payments (and it is ``paid`` exactly when that is the fine), each custody move has its audit
  row and its event, each call its own; re-sent with its key, an unacknowledged write either
  replays a write that committed before the kill or is made afresh, never a conflict;
- every custody chain verifies (the API's route; the exported report, as
  ``csoapi verify-custody`` checks it), the transparency log's head covers every custody
  event, and a head kept from before the burst is proved consistent with it;
- ``csoapi audit seal`` (beside the worker's own sealing) then ``csoapi audit verify`` exit 0;
- the sink got every event the database marks delivered, and once the restarted worker has
  run, every event is delivered: at least once (a delivery sent but not recorded before the
  kill is sent again), none lost.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import sqlalchemy as sa

from csoapi.calls.models import Call
from csoapi.citations.models import Citation, Payment
from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from csoapi.core.idempotency import IdempotencyRecord
from csoapi.evidence import merkle
from csoapi.evidence.models import CustodyEvent, CustodyLogEntry, EvidenceItem
from csoapi.evidence.verifier import verify_report
from tests.calls.helpers import CALLS, call_body
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.evidence.helpers import URL as EVIDENCE
from tests.evidence.helpers import intake, storage
from tests.factories import bearer, create_client, create_user, token_for
from tests.platform.crash import (
    Burst,
    Processes,
    Write,
    deliveries,
    every_event_delivered,
    kill_the_worker_mid_batch,
    sink_got,
)
from tests.webhooks.receiver import Answer, Receiver

CITATIONS_PAID, INSTALMENTS = 8, 3  # each fine (6300) paid in three
ITEMS, MOVES = 6, 4
CALL_INTAKES = 16
KILL_AFTER = 20  # of 64 writes
FINE = 6300


@pytest.fixture
def desk(db, settings):
    schedule(db, settings)
    portal, _ = create_client(db, settings, "payment_portal")
    cad, _ = create_client(db, settings, "cad")
    return {
        "cso": bearer(token_for(db, settings, create_user(db, settings, "cso"))),
        "records": bearer(token_for(db, settings, create_user(db, settings, "records"))),
        "portal": bearer(token_for(db, settings, portal)),
        "cad": bearer(token_for(db, settings, cad)),
    }


async def _arrange(base: str, desk, sink: Receiver) -> dict:
    """Endpoints first (they start at the log's end), then the citations and the items."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for who in ("cad", "portal"):
            r = await http.post(
                "/api/v1/webhooks", json={"url": f"{sink.url}?to={who}"}, headers=desk[who]
            )
            assert r.status_code == 201, r.text
        citations = []
        for _ in range(CITATIONS_PAID):
            r = await http.post(CITATIONS, json=citation_body(), headers=desk["cso"])
            assert r.status_code == 201, r.text
            citations.append(r.json())
        rooms = await storage(http, desk)
        items = [await intake(http, desk, rooms["bins"][0]) for _ in range(ITEMS)]
        r = await http.get(f"{EVIDENCE}/log/head", headers=desk["cso"])
        assert r.status_code == 200 and r.json()["tree_size"] == ITEMS, r.text
        return {"citations": citations, "bins": rooms["bins"], "items": items, "head": r.json()}


def _writes(desk, made: dict) -> list[Write]:
    """The burst, its kinds interleaved so that each is under way at the kill."""
    pays = [
        Write(
            "payment",
            f"{CITATIONS}/{c['id']}/payments",
            {"amount_cents": FINE // INSTALMENTS, "method": "card", "reference": f"crash-{i}-{n}"},
            desk["portal"] | {"Idempotency-Key": f"pay-{i}-{n}"},
        )
        for n in range(INSTALMENTS)
        for i, c in enumerate(made["citations"])
    ]
    bins = made["bins"]
    moves = [
        Write(
            "custody",
            f"{EVIDENCE}/{item['id']}/custody",
            {"action": "move", "to_location": bins[(n + 1) % 2]["id"], "reason": f"crash {i}.{n}"},
            desk["cso"] | {"Idempotency-Key": f"move-{i}-{n}"},
        )
        for n in range(MOVES)
        for i, item in enumerate(made["items"])
    ]
    calls = [
        Write(
            "call",
            CALLS,
            call_body(description=f"Crash call {k}"),
            desk["cad"] | {"Idempotency-Key": f"call-{k}"},
        )
        for k in range(CALL_INTAKES)
    ]
    queues, out = [pays, moves, calls], []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def _ids(db, model, column=None) -> set[str]:
    return {str(v) for v in db.scalars(sa.select(column if column is not None else model.id))}


def _acknowledged_are_there(db, writes: list[Write]) -> None:
    tables = {"payment": Payment, "custody": CustodyEvent, "call": Call}
    present = {kind: _ids(db, model) for kind, model in tables.items()}
    for w in writes:
        if w.acknowledged:
            assert w.answer["id"] in present[w.kind], (w.kind, w.key)
    records = db.scalars(sa.select(IdempotencyRecord)).all()
    assert all(r.status_code is not None and r.response_body for r in records)  # none half-written
    keys = {r.key for r in records}
    assert {w.key for w in writes if w.acknowledged} <= keys
    for r in records:  # a finished key answers a resource that exists
        answered = json.loads(r.response_body)["id"]
        kind = {"pay": "payment", "move": "custody", "call": "call"}.get(r.key.split("-")[0])
        if kind is not None:
            assert answered in present[kind], r.key


def _audit_details(db, action: str, key: str) -> set[str]:
    rows = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()
    return {
        f"{r.entity_id}:{r.detail[key]}" if key != "payment_id" else r.detail[key] for r in rows
    }


def _nothing_half_there(db) -> None:
    """Every change whole: each row with its audit row and its event, and the reverse."""
    payments = db.scalars(sa.select(Payment)).all()
    posted = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == "payment.posted")).all()
    paid = {
        p.entity_id
        for p in db.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == "citation.paid"))
    }
    ids = {str(p.id) for p in payments}
    assert ids == {e.entity_id for e in posted} == _audit_details(db, "payment.post", "payment_id")
    for c in db.scalars(sa.select(Citation)).all():
        mine = sum(p.amount_cents for p in payments if p.citation_id == c.id)
        assert c.paid_cents == mine, c.number
        assert (c.state == "paid") == (mine == c.fine_cents) == (str(c.id) in paid), c.number
    moves = db.scalars(sa.select(CustodyEvent).where(CustodyEvent.action == "move")).all()
    changed = db.scalars(
        sa.select(OutboxEvent).where(OutboxEvent.type == "evidence.custody_changed")
    ).all()
    logged = {
        f"{e.entity_id}:{e.payload['custody_seq']}"
        for e in changed
        if e.payload["action"] == "move"
    }
    made = {f"{m.item_id}:{m.seq}" for m in moves}
    assert made == logged == _audit_details(db, "evidence.custody.move", "seq")
    for item in db.scalars(sa.select(EvidenceItem)).all():
        chain = sorted(
            db.scalars(sa.select(CustodyEvent).where(CustodyEvent.item_id == item.id)).all(),
            key=lambda e: e.seq,
        )
        assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
        assert (item.custody_seq, item.custody_head) == (chain[-1].seq, chain[-1].hash)
    calls = _ids(db, Call)
    created = db.scalars(
        sa.select(OutboxEvent.entity_id).where(OutboxEvent.type == "call.created")
    ).all()
    audited = db.scalars(
        sa.select(AuditEvent.entity_id).where(AuditEvent.action == "call.create")
    ).all()
    assert calls == set(created) == set(audited) and len(created) == len(calls)


async def _resend(base: str, writes: list[Write]) -> dict[str, int]:
    """Every write again with its key: an acknowledged one replays its first answer; an
    unacknowledged one replays a write that committed unanswered, or is made now."""
    counts = {"replayed_acknowledged": 0, "replayed_unacknowledged": 0, "made_after_restart": 0}
    gate = asyncio.Semaphore(4)  # within the server's admission: no 503 server_busy

    async def send(http: httpx.AsyncClient, w: Write) -> httpx.Response:
        async with gate:
            return await http.post(w.path, json=w.body, headers=w.headers)

    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        answers = await asyncio.gather(*(send(http, w) for w in writes))
    for w, r in zip(writes, answers, strict=True):
        assert r.status_code in (200, 201), (w.kind, w.key, r.status_code, r.text)
        replayed = r.headers.get("idempotent-replayed") == "true"
        if w.acknowledged:
            assert replayed and r.json() == w.answer and r.status_code == w.status, w.key
            counts["replayed_acknowledged"] += 1
        else:
            counts["replayed_unacknowledged" if replayed else "made_after_restart"] += 1
    return counts


async def _custody_verifies(base: str, desk, made: dict, db) -> None:
    """Each chain through the API's route; each exported report as ``csoapi verify-custody``
    checks it (its function, in-process: the command line itself is tested in
    ``evidence/test_report.py``, and an interpreter more costs seconds on a loaded machine);
    the log's head against the events, and against a head kept from before the burst."""
    h = desk["cso"]
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        key = (await http.get(f"{EVIDENCE}/log/key")).json()["public_key"]
        for item in made["items"]:
            v = (await http.get(f"{EVIDENCE}/{item['id']}/custody/verify", headers=h)).json()
            assert v["valid"] and v["events"] == 1 + MOVES, v
        head = (await http.get(f"{EVIDENCE}/log/head", headers=h)).json()
        kept = made["head"]
        proof = await http.get(
            f"{EVIDENCE}/log/consistency",
            params={"from": kept["tree_size"], "to": head["tree_size"]},
            headers=h,
        )
        reports = [
            (await http.get(f"{EVIDENCE}/{item['id']}/custody/report", headers=h)).json()
            for item in made["items"]
        ]
    events = db.scalars(sa.select(CustodyEvent)).all()
    assert head["tree_size"] == len(events) == ITEMS * (1 + MOVES)
    entries = {(e.event_id, e.event_hash) for e in db.scalars(sa.select(CustodyLogEntry))}
    assert entries == {(e.id, e.hash) for e in events}  # each event logged once, as it is
    assert merkle.verify_consistency(
        kept["tree_size"],
        head["tree_size"],
        bytes.fromhex(kept["root_hash"]),
        bytes.fromhex(head["root_hash"]),
        [bytes.fromhex(p) for p in proof.json()["proof"]],
    )
    for report in reports:
        good, lines = verify_report(report, public_key=key)
        assert good, lines


def _dead_state(db, burst: Burst, sink: Receiver) -> dict[str, int]:
    """The database as the kill left it (recovery starts from this): the checks, and what
    it held beside what was acknowledged."""
    db.commit()
    _acknowledged_are_there(db, burst.writes)
    _nothing_half_there(db)
    _, delivered = deliveries(db)
    got = sink_got(sink)
    assert all(delivered[n] <= set(got[n]) for n in delivered)  # marked delivered: received

    def count(model, *where) -> int:
        return db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return {
        "payments_at_kill": count(Payment),
        "moves_at_kill": count(CustodyEvent, CustodyEvent.action == "move"),
        "calls_at_kill": count(Call),
        "delivered_at_kill": sum(len(v) for v in delivered.values()),
    }


async def _balances_hold(base: str, desk, db) -> None:
    """What the API says is owed is the fine less the payments the database holds."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for c in db.scalars(sa.select(Citation)).all():
            r = await http.get(f"{CITATIONS}/{c.id}", headers=desk["cso"])
            assert r.status_code == 200, r.text
            paid = db.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_cents), 0)).where(
                    Payment.citation_id == c.id
                )
            )
            assert r.json()["balance_cents"] == c.fine_cents - paid, c.number


def _complete(db) -> None:
    """After the re-sends: every write made exactly once."""
    db.commit()
    payments = db.scalar(sa.select(sa.func.count()).select_from(Payment))
    assert payments == CITATIONS_PAID * INSTALMENTS
    assert set(db.scalars(sa.select(Citation.state))) == {"paid"}
    assert db.scalar(sa.select(sa.func.count()).select_from(Call)) == CALL_INTAKES


async def test_sigkill_mid_burst_loses_nothing_acknowledged_and_leaves_nothing_half_written(
    database, db, settings, desk, postgres_only, tmp_path
):
    processes, took = Processes(settings, tmp_path), {}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        took[name] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()

    # A receiver that takes its time: the worker is likely holding a claimed batch at the kill.
    with Receiver(lambda n, r: Answer(204, delay=0.2)) as sink:
        try:
            base = processes.start()
            lap("start_s")
            made = await _arrange(base, desk, sink)
            burst = Burst(_writes(desk, made), KILL_AFTER, lambda: processes.kill("server"))
            await burst.fire(processes.base)
            figures = burst.figures() | await kill_the_worker_mid_batch(db, processes, sink)
            lap("arrange_and_burst_s")
            processes.spawn()  # the new processes import while the dead state is read
            figures |= _dead_state(db, burst, sink)
            base = processes.ready()
            lap("checks_at_kill_and_restart_s")
            await _balances_hold(base, desk, db)
            figures |= await _resend(base, burst.writes)
            # Every write is in: the seal runs beside the checks (the audit rows of their
            # reads are sealed by it or by the worker's passes, one sealer at a time).
            sealing = asyncio.create_task(asyncio.to_thread(processes.cli, "audit", "seal"))
            _acknowledged_are_there(db, burst.writes)
            _nothing_half_there(db)
            _complete(db)
            await _balances_hold(base, desk, db)
            await _custody_verifies(base, desk, made, db)
            figures |= await every_event_delivered(db, sink, figures["sent_unrecorded"])
            sealed = await sealing
            assert sealed.returncode == 0, sealed.stdout + sealed.stderr
            lap("resend_verify_and_deliveries_s")
        finally:
            processes.stop()
    verified = processes.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lap("audit_verify_s")
    figures["audit_chain"] = verified.stdout.strip()
    print("crash figures:", json.dumps(figures | took))  # noqa: T201 - the note's figures
