"""An audit write that fails takes the business change with it (issue 23, item 6): with the
audit table refusing rows (a trigger the test installs, raising on every INSERT, as a
revoked privilege, a full tablespace or a guard an operator added would), a call's intake,
a portal payment and a custody move each answer 503 ``audit_unavailable``, and no row of
the change remains: no call, no payment, no custody event, no event in the outbox, no
Idempotency-Key record (the same key makes the change once the trail takes rows again).
The real road throughout: the call's rows go in one statement with the audit row
(``core.writes.together``) on PostgreSQL, the payment's audit row is a statement of its own,
and the custody move's goes after the ORM's flush."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from csoapi.calls.models import Call
from csoapi.citations.models import Citation, Payment
from csoapi.core.audit import AuditEvent
from csoapi.core.driver_errors import failed_writing
from csoapi.core.events import OutboxEvent
from csoapi.core.idempotency import IdempotencyRecord
from csoapi.core.problems import AUDIT_TABLE
from csoapi.evidence.models import CustodyEvent
from tests.calls.helpers import CALLS, call_body
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.evidence.helpers import URL as EVIDENCE
from tests.evidence.helpers import intake, make_staff, storage
from tests.factories import assert_problem, bearer, create_client, headers_for, token_for

REFUSE = {
    "sqlite": [
        "CREATE TRIGGER test_audit_refuses BEFORE INSERT ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail refuses rows'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION test_audit_refuses() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit trail refuses rows'; END $$",
        "CREATE TRIGGER test_audit_refuses BEFORE INSERT ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION test_audit_refuses()",
    ],
}
ALLOW = {
    "sqlite": ["DROP TRIGGER IF EXISTS test_audit_refuses"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS test_audit_refuses ON audit_event",
        "DROP FUNCTION IF EXISTS test_audit_refuses()",
    ],
}


def _ddl(database, statements: list[str]) -> None:
    with database.engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)


def _count(db, model, *where) -> int:
    db.commit()
    return db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


async def test_an_audit_write_failure_rolls_the_change_back_with_a_503(
    client, db, database, settings
):
    schedule(db, settings)
    portal, _ = create_client(db, settings, "payment_portal")
    portal_h = bearer(token_for(db, settings, portal))
    cad = headers_for(db, settings, "cad")
    staff = make_staff(db, settings)
    citation = await client.post(CITATIONS, json=citation_body(), headers=staff["cso"])
    assert citation.status_code == 201, citation.text
    rooms = await storage(client, staff)
    item = await intake(client, staff, rooms["bins"][0])
    before = {m: _count(db, m) for m in (AuditEvent, OutboxEvent, IdempotencyRecord)}

    pay = f"{CITATIONS}/{citation.json()['id']}/payments"
    payment = {"amount_cents": 700, "method": "card", "reference": "audit-down"}
    move = f"{EVIDENCE}/{item['id']}/custody"
    moving = {"action": "move", "to_location": rooms["bins"][1]["id"], "reason": "Re-shelved"}
    requests = [
        (CALLS, call_body(), cad | {"Idempotency-Key": "call-audit-down"}),
        (pay, payment, portal_h | {"Idempotency-Key": "pay-audit-down"}),
        (move, moving, staff["cso"] | {"Idempotency-Key": "move-audit-down"}),
    ]
    _ddl(database, REFUSE[database.kind])
    try:
        for path, body, headers in requests:
            answer = await client.post(path, json=body, headers=headers)
            problem = assert_problem(answer, 503, "audit_unavailable")
            assert answer.headers.get("retry-after"), answer.headers
            assert "refuses" not in answer.text and "audit_event" not in answer.text, problem
        # A listing's audit row too (on PostgreSQL it rides in the page's own statement).
        assert_problem(await client.get(CALLS, headers=cad), 503, "audit_unavailable")
    finally:
        _ddl(database, ALLOW[database.kind])

    # Nothing of any of the three changes is anywhere.
    assert _count(db, Call) == 0
    assert _count(db, Payment) == 0
    assert db.scalar(sa.select(Citation.paid_cents)) == 0
    assert _count(db, CustodyEvent) == 1  # the intake only
    assert {m: _count(db, m) for m in before} == before
    # Each key left no record: the same request again is a fresh change, made once.
    for path, body, headers in requests:
        again = await client.post(path, json=body, headers=headers)
        assert again.status_code == 201, again.text
        assert "idempotent-replayed" not in again.headers
    assert (_count(db, Call), _count(db, Payment), _count(db, CustodyEvent)) == (1, 1, 2)


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None = None, table: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.diag = SimpleNamespace(table_name=table)


COMBINED = (
    "WITH w0 AS (INSERT INTO call (id) VALUES ($1)), w1 AS (INSERT INTO audit_event (action) "
    "VALUES ($2)) INSERT INTO outbox_event (type) VALUES ($3)"
)


@pytest.mark.parametrize(
    ("error", "audit"),
    [
        (IntegrityError("INSERT INTO audit_event (action) VALUES (?)", {}, _Orig("x")), True),
        (DBAPIError(COMBINED, {}, _Orig("refused", "P0001")), True),
        (IntegrityError(COMBINED, {}, _Orig("dup", "23505", table="audit_event")), True),
        (IntegrityError(COMBINED, {}, _Orig("dup", "23505", table="call")), False),
        (DBAPIError(COMBINED, {}, _Orig("serialization", "40001")), False),
        (DBAPIError(COMBINED, {}, _Orig("too long", "22001")), False),
        (DBAPIError("INSERT INTO audit_event_x (a) VALUES (1)", {}, _Orig("no", "P0001")), False),
        (DBAPIError("UPDATE audit_event SET action = 'x'", {}, _Orig("no", "P0001")), False),
    ],
    ids=["sqlite", "trigger", "audit-key", "other-key", "transient", "too-long", "other", "update"],
)
def test_what_counts_as_an_audit_write_failure(error, audit):
    assert failed_writing(error, AUDIT_TABLE) is audit
