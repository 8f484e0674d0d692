"""Build a benchmark database at agency scale with the project's own schema.

The schema comes from the project's migrations; the code tables, violation schedule, users
and API clients from the project's own services and importers; the bulk rows (citations with
their payments, calls with their activity) go in through PostgreSQL COPY. Rows are shaped
like the real extracts in ``../shared/data``: LA's plate states, makes, body styles, colours
and street locations; NYC's violation codes and fines; San Diego's call types, priorities,
beats, addresses and outcomes (each sampled row validated by the calls importer's own mapper).
"""

from __future__ import annotations

import csv
import json
import random
import string
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql

from csoapi.calls.importer import _RowMapper, import_call_types
from csoapi.calls.importer import load_mapping as calls_mapping
from csoapi.citations import money
from csoapi.citations.balances import DEFAULT_DUE_DAYS, tiers_of
from csoapi.clients.schemas import ClientCreate
from csoapi.clients.service import ClientService
from csoapi.codes.models import CallType, Disposition
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.imports import read_rows
from csoapi.core.migrate import upgrade
from csoapi.core.numbering import CALL_NUMBER
from csoapi.core.scopes import ClientKind, Role
from csoapi.users.schemas import UserCreate
from csoapi.users.service import UserService
from csoapi.violations.models import Violation
from csoapi.violations.service import import_schedule

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PASSWORD = "bench-password-0123456789"  # noqa: S105 - a throwaway database's test user
PENALTIES = [{"after_days": 30, "amount_cents": 2500}, {"after_days": 60, "amount_cents": 5000}]
# How citations stand today (open ones older than their due date read as overdue).
STATES = (("open", 40), ("paid", 52), ("void", 3), ("dismissed", 2), ("collections", 3))
SPAN_DAYS = 730  # rows spread over the two years before the load


@dataclass
class Loaded:
    url: str
    citations: int
    plates: list[tuple[str, str]]
    calls: int
    violation_codes: list[str]
    call_types: list[str]
    seconds: dict[str, float] = field(default_factory=dict)
    client_secrets: dict[str, tuple[str, str]] = field(default_factory=dict)
    username: str = "bench.cso"


def admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's maintenance database, name of the benchmark database)."""
    base, _, name = url.rpartition("/")
    return f"{base}/postgres", name


def recreate(url: str) -> None:
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def build(url: str, *, citations: int, plates: int, calls: int, seed: int = 7) -> Loaded:
    """Drop and rebuild the database at ``url`` (a ``postgresql://`` URL)."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    recreate(url)
    upgrade(url)
    timings["schema"] = time.perf_counter() - t

    settings = Settings(database_url=url, env="dev")
    engine = make_engine(url, settings)
    factory = make_session_factory(engine)
    ctx = RequestContext(principal=None, request_id="bench-load", source_ip=None, settings=settings)
    t = time.perf_counter()
    with factory() as session:
        import_schedule(
            session,
            ctx,
            SHARED / "nyc_parking_violation_codes_2020-01.csv",
            code_column=0,
            description_column=1,
            fine_column=2,
            effective_from=date(2020, 1, 1),
            penalties=PENALTIES,
        )
        users = UserService(session, ctx)
        cso = users.create(
            UserCreate(
                username="bench.cso", full_name="Bench CSO", role=Role.cso, password=PASSWORD
            )
        )
        secrets_by_kind = {}
        for kind in (ClientKind.payment_portal, ClientKind.cad):
            made = ClientService(session, ctx).create(
                ClientCreate(name=f"bench {kind.value}", kind=kind)
            )
            secrets_by_kind[kind.value] = (str(made.client_id), made.client_secret)
        session.commit()
    mapping = calls_mapping("san_diego")
    import_call_types(factory, SHARED / "san_diego_pd_cfs_calltypes.csv", mapping)
    with factory() as session:
        violations = [
            v
            for v in session.scalars(sa.select(Violation).order_by(Violation.code)).all()
            if v.fine_cents > 0
        ]
        call_types = set(session.scalars(sa.select(CallType.code)).all())
        dispositions = set(session.scalars(sa.select(Disposition.code)).all())
    timings["reference data"] = time.perf_counter() - t

    plate_list = _plates(rng, plates)
    t = time.perf_counter()
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, psycopg.Connection)
        _citations(conn, rng, citations, plate_list, violations, cso.id, settings)
        timings["citations (COPY)"] = time.perf_counter() - t
        t = time.perf_counter()
        samples = _call_samples(mapping, call_types, dispositions)
        _calls(conn, rng, calls, samples, settings)
        timings["calls (COPY)"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE)")
        timings["vacuum analyze"] = time.perf_counter() - t
    finally:
        raw.close()
        engine.dispose()
    return Loaded(
        url=url,
        citations=citations,
        plates=plate_list,
        calls=calls,
        violation_codes=sorted({v.code for v in violations}),
        call_types=sorted(c for c, _ in Counter(s["call_type"] for s in samples).most_common(20)),
        seconds=timings,
        client_secrets=secrets_by_kind,
    )


def _plates(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` distinct plates, each with a state drawn from LA's plate-state mix."""
    states = [
        r["rp_state_plate"] for _, r in read_rows(SHARED / "la_parking_citations_2020-07-01_09.csv")
    ]
    states = [s for s in states if len(s) == 2 and s.isalpha()]
    alphabet = string.ascii_uppercase + string.digits
    seen: set[tuple[str, str]] = set()
    while len(seen) < n:
        plate = "".join(rng.choices(alphabet, k=rng.choice((6, 7, 7, 7))))
        seen.add((plate, rng.choice(states)))
    return sorted(seen)


def _la_shapes() -> list[dict[str, str]]:
    rows = []
    for _, r in read_rows(SHARED / "la_parking_citations_2020-07-01_09.csv"):
        if r["location"]:
            rows.append(
                {
                    "make": r["make"][:32] or None,
                    "body": r["body_style_desc"][:32] or None,
                    "color": r["color_desc"][:32] or None,
                    "location": r["location"][:200],
                }
            )
    return rows


CITATION_COLUMNS = [
    "id",
    "number",
    "kind",
    "plate",
    "plate_state",
    "vehicle_make",
    "vehicle_body",
    "vehicle_color",
    "location",
    "violation_id",
    "violation_code",
    "violation_description",
    "fine_cents",
    "penalty_tiers",
    "issued_at",
    "issued_on",
    "due_date",
    "issued_by",
    "state",
    "paid_cents",
    "void_reason",
    "voided_by",
    "voided_at",
    "adjudication",
    "adjudicated_at",
    "adjudicated_by",
    "adjudication_reason",
    "pauses",
    "collections_at",
    "version",
    "created_at",
    "updated_at",
]
PAYMENT_COLUMNS = [
    "id",
    "citation_id",
    "kind",
    "amount_cents",
    "method",
    "reference",
    "paid_at",
    "paid_on",
    "posted_at",
    "posted_by",
    "user_id",
]


def _copy(conn: psycopg.Connection, table: str, columns: list[str], rows: Any) -> None:
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for row in rows:
            copy.write_row(row)


def _citations(
    conn: psycopg.Connection,
    rng: random.Random,
    n: int,
    plates: list[tuple[str, str]],
    violations: list[Violation],
    issuer: uuid.UUID,
    settings: Settings,
) -> None:
    shapes = _la_shapes()
    now = datetime.now(UTC)
    start = now - timedelta(days=SPAN_DAYS)
    moments = sorted(start + timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400)) for _ in range(n))
    states = [s for s, w in STATES for _ in range(w)]
    counters: Counter[int] = Counter()
    payments: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    tz = settings.tz
    for issued_at in moments:
        local = issued_at.astimezone(tz)
        counters[local.year] += 1
        number = f"{settings.citation_number_prefix}{local.year}-{counters[local.year]:07d}"
        plate, plate_state = plates[rng.randrange(len(plates))]
        shape = shapes[rng.randrange(len(shapes))]
        v = violations[rng.randrange(len(violations))]
        issued_on = local.date()
        terms = money.Terms(
            fine_cents=v.fine_cents,
            tiers=tiers_of(v.penalties),
            issued_on=issued_on,
            payments=(),
            pauses=(),
        )
        due = money.due_on(terms, DEFAULT_DUE_DAYS)
        state = states[rng.randrange(len(states))]
        cid = uuid.uuid4()
        later = min(now, issued_at + timedelta(days=rng.randint(1, 40)))
        paid = v.fine_cents if state == "paid" else 0
        if state == "paid":
            payments.append(
                (
                    uuid.uuid4(),
                    cid,
                    "payment",
                    paid,
                    "card",
                    f"bench-{cid.hex[:12]}",
                    later,
                    later.astimezone(tz).date(),
                    later,
                    "client:bench portal",
                    None,
                )
            )
        rows.append(
            (
                cid,
                number,
                "citation",
                plate,
                plate_state,
                shape["make"],
                shape["body"],
                shape["color"],
                shape["location"],
                v.id,
                v.code,
                v.description,
                v.fine_cents,
                json.dumps(v.penalties),
                issued_at,
                issued_on,
                due,
                issuer,
                state,
                paid,
                "entered in error" if state == "void" else None,
                issuer if state == "void" else None,
                later if state == "void" else None,
                "dismissed" if state == "dismissed" else None,
                later if state == "dismissed" else None,
                issuer if state == "dismissed" else None,
                "signage missing" if state == "dismissed" else None,
                "[]",
                later if state == "collections" else None,
                1,
                issued_at,
                later if state != "open" else issued_at,
            )
        )
    _copy(conn, "citation", CITATION_COLUMNS, rows)
    _copy(conn, "payment", PAYMENT_COLUMNS, payments)
    _set_counters(conn, "citation", {str(y): c for y, c in counters.items()})


def _set_counters(conn: psycopg.Connection, name: str, values: dict[str, int]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO number_counter (name, period, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (name, period) DO UPDATE SET value = EXCLUDED.value",
            [(name, period, value) for period, value in values.items()],
        )


def _call_samples(
    mapping: dict[str, Any], call_types: set[str], dispositions: set[str]
) -> list[dict[str, Any]]:
    """San Diego's rows as the importer reads them (rows it would reject are left out)."""
    mapper = _RowMapper(mapping, call_types, dispositions)
    samples = []
    for _, row in read_rows(SHARED / "san_diego_pd_calls_for_service_2023-01.csv"):
        try:
            samples.append(mapper.map(row))
        except ValueError:
            continue
    return samples


CALL_COLUMNS = [
    "id",
    "number",
    "source",
    "external_id",
    "call_type",
    "priority",
    "address",
    "beat",
    "received_at",
    "status",
    "cleared_at",
    "cancelled_at",
    "disposition",
    "created_by",
    "version",
    "created_at",
    "updated_at",
]
ACTIVITY_COLUMNS = ["call_id", "kind", "at", "actor_name", "to_status"]


def _calls(
    conn: psycopg.Connection,
    rng: random.Random,
    n: int,
    samples: list[dict[str, Any]],
    settings: Settings,
) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(days=SPAN_DAYS)
    moments = sorted(start + timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400)) for _ in range(n))
    counters: Counter[int] = Counter()
    calls: list[tuple[Any, ...]] = []
    activity: list[tuple[Any, ...]] = []
    for i, received_at in enumerate(moments):
        s = samples[rng.randrange(len(samples))]
        year = received_at.astimezone(settings.tz).year
        counters[year] += 1
        cid = uuid.uuid4()
        ended = received_at + timedelta(minutes=rng.randint(5, 240))
        calls.append(
            (
                cid,
                f"{settings.call_number_prefix}{CALL_NUMBER.period(year)}-{counters[year]:06d}",
                "cad",
                f"BENCH{i:08d}",
                s["call_type"],
                s["priority"],
                s["address"],
                s["beat"],
                received_at,
                s["status"],
                ended if s["status"] == "cleared" else None,
                ended if s["status"] == "cancelled" else None,
                s["disposition"],
                "import",
                1,
                received_at,
                ended,
            )
        )
        activity.append((cid, "imported", received_at, "import", s["status"]))
    _copy(conn, "call", CALL_COLUMNS, calls)
    _copy(conn, "call_activity", ACTIVITY_COLUMNS, activity)
    _set_counters(conn, "call", {CALL_NUMBER.period(y): c for y, c in counters.items()})


def write_plates(path: Path, plates: list[tuple[str, str]], k: int, seed: int = 11) -> None:
    """A Lua table of ``k`` plates for wrk scripts to look up."""
    chosen = random.Random(seed).sample(plates, min(k, len(plates)))
    body = ",\n".join(f'{{"{p}","{s}"}}' for p, s in chosen)
    path.write_text(f"return {{\n{body}\n}}\n")


def san_diego_repeated(path: Path, rows: int) -> int:
    """San Diego's calls file repeated until ``rows`` rows, each copy's incident numbers made
    its own (suffix ``-Rk``); returns the number of rows written."""
    source = SHARED / "san_diego_pd_calls_for_service_2023-01.csv"
    with source.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        body = list(reader)
    key = header.index("incident_num")
    written = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        copy = 0
        while written < rows:
            for row in body:
                if written >= rows:
                    break
                row = list(row)
                if copy:
                    row[key] = f"{row[key]}-R{copy}"
                writer.writerow(row)
                written += 1
            copy += 1
    return written
