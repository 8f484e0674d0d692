"""The hot routes' round trips, counted: portal lookup, citation issuance, call intake and
the calls list make exactly these statements on PostgreSQL, each one round trip. A change
that adds one (a lost ``writes.together``, an ORM flush instead of a prebuilt INSERT, a
payments read apart from the lookup's join) fails here before it shows in a benchmark."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.calls.helpers import CALLS, call_body
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import bearer, create_client, headers_for, token_for

pytestmark = pytest.mark.postgres_only
_TRANSACTION = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
_TABLES = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)\b")


def shape(statement: str) -> str:
    """A statement as its verb and the tables it names, in order of first mention: what
    it does, without the column lists and parameters."""
    verb = statement.split(None, 1)[0]
    if verb == "WITH":  # data-modifying CTEs: the rows sent together
        verb = "INSERT" if "INSERT INTO" in statement else "SELECT"
    tables = list(dict.fromkeys(t for t in _TABLES.findall(statement) if t != "c"))
    return f"{verb} {'+'.join(tables)}"


@contextmanager
def statements(app, database) -> Iterator[list[str]]:
    """Every statement sent while the block runs, on whichever road the route takes (the
    threaded engine, or the asyncpg one when the app has it)."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args) -> None:
        if not statement.startswith(_TRANSACTION):
            seen.append(shape(statement))

    engines = [database.engine]
    units = app.state.unit_factory
    if units is not None:
        engines.append(units.kw["bind"].sync_engine)
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", note)


async def sent(app, database, request: Callable) -> list[str]:
    with statements(app, database) as seen:
        r = await request()
    assert r.status_code in (200, 201), r.text
    return seen


PRINCIPAL = "SELECT auth_session+user_account+api_client"


@pytest.fixture
def desk(db, settings, postgres_only):
    schedule(db, settings)
    portal, _ = create_client(db, settings, "payment_portal")
    return {
        "cso": headers_for(db, settings, "cso"),
        "cad": headers_for(db, settings, "cad"),
        "sergeant": headers_for(db, settings, "sergeant"),
        "portal": bearer(token_for(db, settings, portal)),
    }


async def test_portal_lookup_is_four_round_trips(client, app, database, desk):
    """The principal, the rate budget, the citations with their payments joined on (one
    statement), and the audit row with the rate count (one statement). (One lookup in
    ``ratelimit.PURGE_ONE_IN`` also sweeps old windows: housekeeping, left out.)"""
    issued = [
        await client.post(CITATIONS, json=citation_body(plate="4RT4444"), headers=desk["cso"])
        for _ in range(2)
    ]
    c = issued[0].json()
    pay = {"amount_cents": 100, "method": "card"}
    portal = desk["portal"] | {"Idempotency-Key": "rt-1"}
    paid = await client.post(f"{CITATIONS}/{c['id']}/payments", json=pay, headers=portal)
    assert paid.status_code == 201, paid.text
    expected = [
        PRINCIPAL,
        "SELECT rate_counter",
        "SELECT citation+payment",
        "INSERT audit_event+rate_counter",
    ]
    for params in ({"number": c["number"]}, {"plate": "4RT4444", "plate_state": "CA"}):
        lookup = lambda params=params: client.get(  # noqa: E731
            f"{CITATIONS}/lookup", params=params, headers=desk["portal"]
        )
        seen = await sent(app, database, lookup)
        assert [s for s in seen if s != "DELETE rate_counter"] == expected, params


async def test_issuance_is_four_round_trips(client, app, database, desk):
    """The principal, the violation in force, the number (its counter row locked until
    commit), and the citation, its audit row and its event in one statement."""
    issue = lambda: client.post(CITATIONS, json=citation_body(), headers=desk["cso"])  # noqa: E731
    assert await sent(app, database, issue) == [
        PRINCIPAL,
        "SELECT violation",
        "INSERT number_counter",
        "INSERT citation+audit_event+outbox_event",
    ]


async def test_call_intake_is_four_round_trips(client, app, database, desk):
    """The principal, the call type, the number, and the call, its first activity line, its
    audit row and its event in one statement."""
    intake = lambda: client.post(CALLS, json=call_body(), headers=desk["cad"])  # noqa: E731
    assert await sent(app, database, intake) == [
        PRINCIPAL,
        "SELECT call_type",
        "INSERT number_counter",
        "INSERT call+call_activity+audit_event+outbox_event",
    ]


async def test_calls_list_is_two_round_trips(client, app, database, desk):
    """The principal, and the page with its audit row riding in the same statement."""
    await client.post(CALLS, json=call_body(), headers=desk["cad"])
    listing = lambda: client.get(CALLS, params={"limit": 2}, headers=desk["sergeant"])  # noqa: E731
    assert await sent(app, database, listing) == [PRINCIPAL, "INSERT audit_event+call"]


async def test_the_vehicle_view_reads_a_plate_in_one_round_trip(client, app, database, desk):
    """What a plate owes, read as the portal reads it: its citations with their payments
    joined on, one statement (then the audit row)."""
    for _ in range(2):
        await client.post(CITATIONS, json=citation_body(plate="4VH4444"), headers=desk["cso"])
    view = lambda: client.get("/api/v1/vehicles/CA/4VH4444", headers=desk["cso"])  # noqa: E731
    assert await sent(app, database, view) == [
        PRINCIPAL,
        "SELECT citation+payment",
        "INSERT audit_event",
    ]
