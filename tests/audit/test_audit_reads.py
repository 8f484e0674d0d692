"""The audit gaps an outside test found: citation reads, every list, the payments export,
reads of the audit log itself, and writes refused by validation. A read is one row; a list
read is one row (who, which listing, the query as given, how many rows), never one per item."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter

from csoapi.core.audit import AuditEvent
from csoapi.main import create_app
from csoapi.users.models import User
from tests.calls.helpers import CALLS, create_call
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import Who, assert_problem, bearer, create_user, machine, person, token_for
from tests.probes import SignedIn
from tests.reports.helpers import URL as REPORTS
from tests.reports.helpers import crime, step


@pytest.fixture
def staff(db, settings) -> dict[str, Who]:
    staff = {r: person(db, settings, r) for r in ("cso", "sergeant", "records", "admin")}
    return staff | {k: machine(db, settings, k) for k in ("cad", "payment_portal")}


def rows_of(db, request_id: str) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).where(AuditEvent.request_id == request_id)
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def the_row(db, request_id: str, who: Who) -> AuditEvent:
    """The request's one audit row, by ``who``."""
    (row,) = rows_of(db, request_id)
    assert (row.actor_id, row.role, row.source_ip) == (who.id, who.role, "203.0.113.7")
    return row


def rid(name: str) -> dict[str, str]:
    return {"X-Request-ID": f"{name}-{uuid.uuid4().hex[:8]}"}


async def test_a_citation_read_is_audited(client, db, settings, staff):
    schedule(db, settings)
    issued = await client.post(CITATIONS, json=citation_body(), headers=staff["cso"].headers)
    c = issued.json()
    h = rid("citation-read")
    r = await client.get(f"{CITATIONS}/{c['id']}", headers=staff["sergeant"].headers | h)
    assert r.status_code == 200 and r.json()["vin"] and r.json()["notes"]
    row = the_row(db, h["X-Request-ID"], staff["sergeant"])
    assert (row.action, row.entity_type, row.entity_id, row.outcome) == (
        "citation.read",
        "citation",
        c["id"],
        "success",
    )


async def arrange(client, db, settings, staff) -> None:
    """Three calls; two citations on one plate, both paid a little by records; a report
    approved and one submitted."""
    for _ in range(3):
        await create_call(client, staff["sergeant"].headers)
    schedule(db, settings)
    for _ in range(2):
        c = await client.post(CITATIONS, json=citation_body(), headers=staff["cso"].headers)
        paid = await client.post(
            f"{CITATIONS}/{c.json()['id']}/payments",
            json={"amount_cents": 100, "method": "cash", "reference": "desk"},
            headers=staff["records"].headers,
        )
        assert paid.status_code == 201, paid.text
    for approve in (True, False):
        r = (await client.post(REPORTS, json=crime(), headers=staff["cso"].headers)).json()
        await step(client, staff["cso"].headers, r, "submit")
        if approve:
            await step(client, staff["sergeant"].headers, r, "approve")


# who, path, query, listing (action, entity type), the filters as recorded
LISTS: list[tuple[str, str, dict[str, Any], str, str, dict[str, Any]]] = [
    ("sergeant", CALLS, {"status": "received", "limit": 2}, "call.list", "call", {}),
    ("cso", CITATIONS, {"plate": "7abc123"}, "citation.list", "citation", {"plate": "7ABC123"}),
    ("sergeant", REPORTS, {"status": "submitted"}, "report.list", "report", {}),
    (
        "cad",
        f"{REPORTS}/export",
        {"approved_since": "2026-01-01T00:00:00Z"},
        "report.export",
        "report",
        {"approved_since": "2026-01-01T00:00:00+00:00"},
    ),
    ("records", "/api/v1/payments", {"posted_from": "2026-01-01T00:00:00Z"}, "payment.list",
     "payment", {"posted_from": "2026-01-01T00:00:00+00:00"}),
    ("records", "/api/v1/vehicles/scofflaws", {"min_overdue": 1}, "vehicle.scofflaws",
     "vehicle", {"limit": 100}),
    ("admin", "/api/v1/users", {"role": "cso"}, "user.list", "user", {}),
    ("admin", "/api/v1/clients", {"kind": "cad"}, "client.list", "client", {}),
    ("cso", "/api/v1/codes/call-types", {"active": "true", "limit": 3}, "code.call-types.list",
     "call-types", {"active": True}),
    ("cso", "/api/v1/codes/dispositions", {"limit": 2}, "code.dispositions.list",
     "dispositions", {}),
    ("cso", "/api/v1/codes/offenses", {"limit": 2}, "code.offenses.list", "offenses", {}),
    ("cso", "/api/v1/violations", {"code": "22500E"}, "violation.list", "violation", {}),
    ("sergeant", "/api/v1/audit", {"action": "payment.post"}, "audit.list", "audit", {}),
    ("cad", "/api/v1/events", {"types": "call.created", "limit": 5}, "event.list", "event",
     {"types": ["call.created"]}),
]  # fmt: skip
EXPECTED_COUNTS = {"call.list": 2, "citation.list": 2, "report.list": 1, "report.export": 1,
                   "payment.list": 2, "vehicle.scofflaws": 0, "client.list": 1,
                   "code.call-types.list": 3, "code.dispositions.list": 2,
                   "code.offenses.list": 2, "violation.list": 1, "audit.list": 2}  # fmt: skip


async def test_every_list_read_is_one_audit_row(client, db, settings, staff):
    await arrange(client, db, settings, staff)
    csos = db.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == "cso"))
    counts = EXPECTED_COUNTS | {"user.list": csos}
    for who, path, query, action, entity_type, recorded in LISTS:
        h = rid(action)
        r = await client.get(path, params=query, headers=staff[who].headers | h)
        assert r.status_code == 200, (path, r.text)
        row = the_row(db, h["X-Request-ID"], staff[who])
        assert (row.action, row.entity_type, row.entity_id, row.outcome) == (
            action,
            entity_type,
            None,
            "success",
        ), path
        filters = {"limit": 50} | query | recorded
        assert row.detail == {"filters": filters, "count": len(r.json()["items"])}, path
        if action in counts:
            assert row.detail["count"] == counts[action], path


async def test_the_payments_export_is_one_audit_row(client, db, settings, staff):
    await arrange(client, db, settings, staff)
    h = rid("export")
    query = {"posted_to": "2100-01-01T00:00:00Z"}
    r = await client.get(
        "/api/v1/payments",
        params=query,
        headers=staff["records"].headers | h | {"Accept": "text/csv"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.text)))
    row = the_row(db, h["X-Request-ID"], staff["records"])
    assert (row.action, row.entity_type, row.outcome) == ("payment.export", "payment", "success")
    assert row.detail == {"filters": {"posted_to": "2100-01-01T00:00:00+00:00"}, "count": 2}
    assert len(lines) == 2


async def test_reading_the_audit_log_is_on_the_audit_log(client, db, staff):
    sergeant = staff["sergeant"]
    first, second = rid("audit-1"), rid("audit-2")
    r1 = await client.get(
        "/api/v1/audit", params={"action": "audit.list"}, headers=sergeant.headers | first
    )
    assert r1.json()["items"] == []  # its own row is written after the search
    the_row(db, first["X-Request-ID"], sergeant)
    r2 = await client.get(
        "/api/v1/audit", params={"action": "audit.list"}, headers=sergeant.headers | second
    )
    (seen,) = r2.json()["items"]
    assert seen["request_id"] == first["X-Request-ID"] and seen["actor_id"] == sergeant.id
    assert the_row(db, second["X-Request-ID"], sergeant).detail["count"] == 1


async def test_writes_refused_by_validation_leave_a_refusal_row(client, db, staff):
    cso = staff["cso"]
    report = (await client.post(REPORTS, json=crime(), headers=cso.headers)).json()
    cases = [  # method, path, body, status, code, fields
        ("POST", REPORTS, {"json": {"kind": "bogus"}}, 422, "validation_error", ["body.kind"]),
        ("POST", CALLS, {"json": {"source": "phone"}}, 422, "validation_error", None),
        ("POST", CITATIONS, {"json": {"plate": True}}, 422, "validation_error", None),
        ("POST", CITATIONS, {"content": b"{nope", "headers": {"Content-Type": "application/json"}},
         422, "validation_error", None),
        ("PATCH", f"{REPORTS}/{report['id']}", {"json": {"narrative": "x"}}, 428,
         "if_match_required", None),
    ]  # fmt: skip
    for method, path, kw, status, code, fields in cases:
        h = rid("refused")
        headers = cso.headers | h | kw.pop("headers", {})
        r = await client.request(method, path, headers=headers, **kw)
        assert_problem(r, status, code)
        row = the_row(db, h["X-Request-ID"], cso)
        assert row.outcome == "rejected" and row.action.split()[0] == method, path
        assert (row.detail["status"], row.detail["code"]) == (status, code), path
        if fields is not None:
            assert row.detail["fields"] == fields
        elif status == 422:
            assert row.detail["fields"], path  # where the body was wrong
        if method == "PATCH":
            assert row.entity_id == report["id"]
    # Refused reads are not refused writes: a bad query leaves nothing.
    h = rid("bad-query")
    assert_problem(await client.get(CALLS, params={"priority": 9}, headers=cso.headers | h), 422)
    assert rows_of(db, h["X-Request-ID"]) == []


async def test_invalid_bodies_from_no_one_leave_nothing(client, db, settings, staff):
    gone = create_user(db, settings, "cso")
    ended = bearer(token_for(db, settings, gone))
    gone.active = False
    db.commit()
    before = db.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    garbage = {"content": b"{nope", "headers": {"Content-Type": "application/json"}}
    senders = [{}, {"Authorization": "Bearer not.a.token"}, ended]
    for _ in range(5):
        for who in senders:
            for path in (CALLS, CITATIONS, REPORTS):
                r = await client.post(path, **garbage | {"headers": garbage["headers"] | who})
                assert r.status_code in (401, 422), r.text
            r = await client.post(REPORTS, json={"kind": "bogus"}, headers=who)
            assert r.status_code in (401, 422)
        r = await client.post("/api/v1/auth/token", data={"username": "x"})
        # No grant_type: RFC 6749 §5.2 invalid_request, a 400 (a 422 before issue 22)
        assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


async def test_a_value_the_database_cannot_store_leaves_a_refusal_row(
    database, settings, live_db, postgres_only
):
    app = create_app(settings, engine=database.engine)
    probe = APIRouter()

    def narrow(session) -> None:  # type: ignore[no-untyped-def]
        session.execute(sa.text("CREATE TEMP TABLE narrow (v varchar(2))"))
        session.execute(sa.text("INSERT INTO narrow (v) VALUES ('abc')"))

    @probe.post("/too-long")
    async def too_long(unit: SignedIn) -> None:
        await unit.run(lambda svc: narrow(svc.session))

    app.include_router(probe)
    with live_db() as s:
        who = person(s, settings, "cso")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.7", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        h = rid("too-long")
        assert_problem(
            await c.post("/too-long", headers=who.headers | h), 422, "value_not_storable"
        )
    with live_db() as s:
        row = the_row(s, h["X-Request-ID"], who)
    assert (row.outcome, row.action, row.detail) == (
        "rejected",
        "POST /too-long",
        {"status": 422, "code": "value_not_storable"},
    )


def _statements(engine: sa.Engine) -> tuple[list[str], Any]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    return seen, lambda: sa.event.remove(engine, "before_cursor_execute", count)


async def test_the_calls_list_audit_row_costs_no_round_trip(client, db, app, database, staff):
    """The calls list is a hot route: on PostgreSQL (asyncpg) its audit row rides in the
    page's own statement; a request is still the principal's lookup and the page."""
    sergeant = staff["sergeant"]
    calls = [await create_call(client, sergeant.headers) for _ in range(3)]
    units = app.state.unit_factory
    engine = units.kw["bind"].sync_engine if units is not None else database.engine
    seen, stop = _statements(engine)
    h = rid("calls-hot")
    try:
        r = await client.get(CALLS, params={"limit": 2}, headers=sergeant.headers | h)
    finally:
        stop()
    assert [c["id"] for c in r.json()["items"]] == [c["id"] for c in reversed(calls)][:2]
    row = the_row(db, h["X-Request-ID"], sergeant)
    assert (row.action, row.entity_type, row.outcome) == ("call.list", "call", "success")
    assert row.detail == {"filters": {"limit": 2}, "count": 2}
    if database.is_postgres:
        assert len(seen) == 2 and not any(s.startswith("INSERT") for s in seen), seen
