"""The apps, principals and request preparation the contract fuzzing shares
(``test_schemathesis.py``, each request on its own; ``test_schemathesis_stateful.py``,
scenarios that follow the contract's links): one app per database with a principal of every
kind, who may call each operation, and what a generated request gets before it is sent
(``prepared``: the caller's token, the harness rules of ``schemathesis_rules``, the checks its
answer goes through)."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.config import CheckConfig, ChecksConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import missing_required_header, positive_data_acceptance

from csoapi.core.db import make_engine, make_session_factory, normalize_url
from csoapi.core.migrate import upgrade
from csoapi.core.scopes import scopes_for
from csoapi.evidence.models import EvidenceLocation
from csoapi.main import create_app
from csoapi.permits.models import PermitZone
from csoapi.registry import metadata
from tests.citations.helpers import schedule
from tests.conftest import (
    PG_ADMIN_URL,
    PG_SKIP_REASON,
    _drop_database,
    empty_tables,
    make_settings,
)
from tests.factories import create_client, create_user, token_for
from tests.schemathesis_rules import reach_body, reach_query, schema_valid_requests_pass_validation

# The apps are built at import (schemathesis makes one test per operation at collection
# time from their documents), their databases on first use. One app per database, each on a
# fresh one (PostgreSQL when reachable: it refuses what SQLite stores, such as a value longer
# than its column).
_DIR = Path(tempfile.mkdtemp(prefix="csoapi-schemathesis-"))


class Tokens:
    """The database behind one app, made on first use (collecting the test modules, as every
    xdist worker does, makes no database): migrated, with a principal of each kind, the fine
    schedule, evidence storage and a permit zone. Its tokens are minted again once old:
    access tokens live at most 15 minutes, and on a loaded machine the suite can take longer
    than that between the first example and the last."""

    FRESH_FOR = 600  # seconds

    def __init__(self, url: str, pg_name: str | None = None) -> None:
        self.url, self.pg_name = url, pg_name
        self.kind = "SQLite" if pg_name is None else "PostgreSQL"
        self.settings = make_settings(url)
        # Given an engine, a PostgreSQL app opens an unpooled asyncpg connection per unit:
        # this app is driven from each test's own event loop in turn.
        self.engine = make_engine(url)
        self.app = create_app(self.settings, engine=self.engine)
        self.factory = make_session_factory(self.engine)
        self.who: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}
        self.extra: dict[str, str] = {}  # ids of records the generated cases must name
        self.minted: float | None = None  # never: monotonic time may start near 0 at boot
        self.snapshot: dict[str, list[dict[str, Any]]] = {}
        self.made = False

    def _make(self) -> None:
        if self.pg_name is not None:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            atexit.register(_drop_database, self.pg_name)
        upgrade(self.url)
        self.made = True
        with self.factory() as s:
            for role in ("admin", "sergeant", "cso", "records"):
                self.who[role] = create_user(s, self.settings, role)
            for kind in ("cad", "payment_portal"):
                self.who[kind] = create_client(s, self.settings, kind)[0]
            schedule(s, self.settings)
            self.extra.update(_storage(s))
            s.add(PermitZone(code="A", name="Zone A"))
            s.commit()

    def ready(self) -> None:
        if not self.made:
            self._make()

    def __getitem__(self, who: str) -> str:
        self.ready()
        if who in self.extra:
            return self.extra[who]
        if self.minted is None or time.monotonic() - self.minted > self.FRESH_FOR:
            with self.factory() as s:
                self.tokens = {k: token_for(s, self.settings, v) for k, v in self.who.items()}
            self.minted = time.monotonic()
        return self.tokens[who]

    def kept(self) -> None:
        """Tokens minted afresh and the database as it now stands kept, for ``restore`` to
        put back: each stateful scenario starts from the same rows, so the same choices get
        the same answers (Hypothesis replays scenarios, and refuses one that goes otherwise)."""
        self.minted = None
        self["admin"]
        with self.engine.connect() as conn:
            self.snapshot = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                for t in metadata.sorted_tables
            }

    def restore(self) -> None:
        empty_tables(self.engine, self.snapshot)

    def close(self) -> None:
        self.engine.dispose()
        if self.pg_name is not None and self.made:
            _drop_database(self.pg_name)


def _storage(s: Any) -> dict[str, str]:
    """Evidence storage for generated intakes to use: an evidence room with a shelf and a bin,
    and a property room (kept apart, IAPE)."""
    room = EvidenceLocation(code="ST-EV", name="Evidence", level="room", purpose="evidence")
    prop = EvidenceLocation(code="ST-PR", name="Property", level="room", purpose="property")
    s.add_all([room, prop])
    s.flush()
    shelf = EvidenceLocation(
        code="ST-EV-S", name="Shelf", level="shelf", purpose="evidence", parent_id=room.id
    )
    s.add(shelf)
    s.flush()
    s.commit()
    return {"loc:room": str(room.id), "loc:shelf": str(shelf.id), "loc:property": str(prop.id)}


OPENED: list[Tokens] = []


def apps(name: str) -> tuple[Tokens, Any, Tokens | None, Any]:
    """An app on SQLite and one on PostgreSQL (None when it is unreachable: its schema is
    then SQLite's, collected, and its tests skipped with the reason), each with its schema,
    on databases of their own: each test module fuzzes its own (the stateful run puts its
    rows back before each scenario, and another module's would make that slow)."""
    sqlite = Tokens(f"sqlite:///{_DIR / f'{name}.db'}")
    OPENED.append(sqlite)
    api = schemathesis.openapi.from_asgi("/openapi.json", sqlite.app)
    pg, pg_api = None, api
    if PG_SKIP_REASON is None:
        pg_name = f"csoapi_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        pg = Tokens(str(sa.make_url(normalize_url(PG_ADMIN_URL)).set(database=pg_name)), pg_name)
        OPENED.append(pg)
        pg_api = schemathesis.openapi.from_asgi("/openapi.json", pg.app)
    # Text with U+0000 is a 422 everywhere, as the API's description says (tested in
    # test_errors); JSON Schema has no way to say so per string.
    for each in (api, pg_api):
        each.config.generation.update(allow_x00=False)
    return sqlite, api, pg, pg_api


# A body the schema refuses, sent by a caller who may use the operation, is refused as bad
# input before anything else is looked at: not a 404 for the id it names, a 409 for the
# state it finds, a 428 or 412 for its If-Match, which schemathesis takes as refusals too.
ANY_REFUSAL = ChecksConfig().negative_data_rejection  # schemathesis's default
BAD_BODY = CheckConfig(expected_statuses=["413", "415", "422"])


# `make test` runs a few examples per operation, the same ones every run (derandomized: a
# failure in CI is a failure here); `make fuzz` runs ten times as many, new ones each time.
EXAMPLES = int(os.environ.get("CSOAPI_FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=os.environ.get("CSOAPI_FUZZ_RANDOM") is None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


# What the runs answered on operations that name a record in their path, by run: "linked
# 404" counts a path a link gave, "generated 404" one the fuzzer made up. Shown at the end
# of the module (pytest -s); the stateful runs assert that links reach real records.
REACHED: dict[str, Counter[str]] = {}


def report() -> None:
    """What each run's requests to operations that name a record answered (pytest -s), since
    the last report."""
    for run, counts in sorted(REACHED.items()):
        ok = sum(n for k, n in counts.items() if k.split()[1].startswith("2"))
        missing = sum(n for k, n in counts.items() if k.endswith(" 404"))
        print(f"\n{run}: {counts.total()} requests, {ok} 2xx, {missing} 404; {dict(counts)}")
    REACHED.clear()


def _close() -> None:
    for tokens in OPENED:
        tokens.close()
    shutil.rmtree(_DIR, ignore_errors=True)


atexit.register(_close)


# Every principal kind; "anonymous" calls the operations that take no token.
PRINCIPALS = ("anonymous", "admin", "sergeant", "cso", "records", "cad", "payment_portal")
CLIENT_KINDS = ("cad", "payment_portal")
# Operations any signed-in caller may use (code tables, the schedule, /auth/me, the payments
# list that answers each its own) validate alike for all: one person (records, whom the
# payments list shows everything) and one machine client (a portal, its own payments).
ANY_SIGNED_IN = ("records", "payment_portal")


def callers(operation: Any) -> list[str]:
    """Who this operation runs as: every principal holding its scopes; ``ANY_SIGNED_IN``
    when it asks for none; the anonymous caller when it asks for no token at all."""
    security = operation.definition.raw.get("security")
    if security is None:
        return ["anonymous"]
    needed = {
        scope for requirement in security for scopes in requirement.values() for scope in scopes
    }
    if not needed:
        return list(ANY_SIGNED_IN)
    holders = [who for who in PRINCIPALS if who != "anonymous" and needed <= scopes_for(who)]
    assert holders, f"nobody may call {operation.label}"
    return holders


LOCATIONS = (
    ParameterLocation.QUERY,
    ParameterLocation.PATH,
    ParameterLocation.HEADER,
    ParameterLocation.BODY,
)


def _negative_only_in(case: Any, location: ParameterLocation) -> bool:
    return case.meta.is_negative_at(location) and not any(
        case.meta.is_negative_at(other) for other in LOCATIONS if other != location
    )


def prepared(case: Any, who: str, tokens: Tokens) -> tuple[dict[str, str], list, list]:
    """A generated request made ready to send as ``who`` (its headers; the values the
    harness rules give it) and the checks its answer goes through: excluded, added."""
    # The caller, named where a failure's "Reproduce with" shows it.
    headers = {"X-Request-ID": f"schemathesis-as-{who}"}
    if who != "anonymous":
        headers["Authorization"] = f"Bearer {tokens[who]}"
    if (
        case.headers
        and "If-Match" in case.headers
        and not case.meta.is_negative_at(ParameterLocation.HEADER)
    ):
        # A generated ETag is stale by construction (412 is tested per feature); "*" is valid.
        headers["If-Match"] = "*"
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and re.fullmatch(r"[\x21-\x7e]{1,255}", key):
        # Generated keys repeat across examples with other bodies, which the contract answers
        # with 422 idempotency_key_reused (tested in test_idempotency); keep them unique here.
        headers["Idempotency-Key"] = uuid.uuid4().hex
    elif (
        key is None
        and who in CLIENT_KINDS
        and any(p.name == "Idempotency-Key" for p in case.operation.headers)
        and not case.meta.is_negative_at(ParameterLocation.HEADER)
    ):
        # Machine clients must send one with a payment: a rule per principal, which the
        # schema cannot state (422 idempotency_key_required, tested in test_payments).
        headers["Idempotency-Key"] = uuid.uuid4().hex
    reach_query(case)
    reach_body(case, tokens)
    bad_body = who != "anonymous" and _negative_only_in(case, ParameterLocation.BODY)
    case.operation.schema.config.checks.negative_data_rejection = (
        BAD_BODY if bad_body else ANY_REFUSAL
    )
    # Our one required header parameter is If-Match, whose absence the contract answers with
    # 428 (tested per feature), where this check expects 400/422. positive_data_acceptance is
    # replaced by its narrowing (schemathesis_rules.schema_valid_requests_pass_validation).
    excluded = [missing_required_header, positive_data_acceptance]
    extra = [schema_valid_requests_pass_validation]
    if case.operation.label == "POST /api/v1/defects/{defect_id}/photos":
        # Any bytes are a schema-valid binary body, but a photo must decode as the image its
        # Content-Type names (422 photo_unreadable, tested in tests/defects).
        extra = []
    return headers, excluded, extra
