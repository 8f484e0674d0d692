"""Property-based checks of the whole API against its own OpenAPI document (schemathesis):
no 5xx, responses match their documented schemas, status codes and content types, what the
schema refuses is refused (a body it refuses: 422, never a 2xx, 404, 409 or 412) and what it
accepts is accepted (never a 400 or 422). Each operation runs as every principal that holds
its scopes, so every request reaches the validation of a caller who may send it (one lacking
the scope gets 403 before any validation, tested in test_scopes)."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import CheckConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import missing_required_header, negative_data_rejection

from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.migrate import upgrade
from csoapi.core.scopes import scopes_for
from csoapi.main import create_app
from csoapi.permits.models import PermitZone
from tests.citations.helpers import schedule
from tests.conftest import PG_SKIP_REASON, _create_database, _drop_database, make_settings
from tests.factories import create_client, create_user, token_for

# Built at import: schemathesis makes one test per operation at collection time. One app
# per database, each on a fresh one (PostgreSQL when reachable: it refuses what SQLite
# stores, such as a value longer than its column).
_DIR = Path(tempfile.mkdtemp(prefix="csoapi-schemathesis-"))


def _app_with_tokens(url: str) -> tuple[Any, dict[str, str]]:
    upgrade(url)
    settings = make_settings(url)
    # Given an engine, a PostgreSQL app opens an unpooled asyncpg connection per unit: this
    # app is driven from each test's own event loop in turn.
    engine = make_engine(url)
    app = create_app(settings, engine=engine)
    tokens: dict[str, str] = {}
    with make_session_factory(engine)() as s:
        for role in ("admin", "sergeant", "cso", "records"):
            tokens[role] = token_for(s, settings, create_user(s, settings, role))
        for kind in ("cad", "payment_portal"):
            tokens[kind] = token_for(s, settings, create_client(s, settings, kind)[0])
        schedule(s, settings)
        s.add(PermitZone(code="A", name="Zone A"))
        s.commit()
    return app, tokens


APP, TOKENS = _app_with_tokens(f"sqlite:///{_DIR / 'api.db'}")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
PG_APP: Any = None
PG_NAME: str | None = None
if PG_SKIP_REASON is None:
    _pg_url, PG_NAME = _create_database("postgresql", _DIR)
    atexit.register(_drop_database, PG_NAME)  # also when this module's tests are deselected
    PG_APP, PG_TOKENS = _app_with_tokens(_pg_url)
    pg_schema = schemathesis.openapi.from_asgi("/openapi.json", PG_APP)
else:
    pg_schema = schema  # collected, then skipped below with the reason
# Text with U+0000 is a 422 everywhere, as the API's description says (tested in
# test_errors); JSON Schema has no way to say so per string.
for _schema in (schema, pg_schema):
    _schema.config.generation.update(allow_x00=False)
# A body the schema refuses, sent by a caller who may use the operation, is refused as bad
# input before anything else is looked at: not a 404 for the id it names, a 409 for the
# state it finds, a 428 or 412 for its If-Match, which schemathesis takes as refusals too.
ANY_REFUSAL = schema.config.checks.negative_data_rejection  # schemathesis's default
BAD_BODY = CheckConfig(expected_statuses=["413", "415", "422"])


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    for app in (APP, PG_APP):
        if app is not None:
            app.state.engine.dispose()
    if PG_NAME is not None:
        _drop_database(PG_NAME)
    shutil.rmtree(_DIR, ignore_errors=True)


REAL_CODES = {
    "call_type": "PARKING",
    "disposition": "REPORT_TAKEN",
    "offense_code": "290",
    "violation_code": "22500E",
    "permit_zone": "A",
    "zone": "A",
}
# References to other records: generated ids name nothing (a contractual 422 or 404).
REFERENCES = ("call_id", "staff")
# Windows whose order (and a permit's length) is a rule JSON Schema cannot state (tested in
# the feature tests): generated ones get a valid window.
WINDOWS = {
    ("valid_from", "valid_to"): ("2026-03-01", "2026-03-02"),
    ("starts_at", "ends_at"): ("2026-01-02T03:00:00Z", "2026-01-02T05:00:00Z"),
}
# Every principal kind; "anonymous" calls the operations that take no token.
PRINCIPALS = ("anonymous", "admin", "sergeant", "cso", "records", "cad", "payment_portal")
CLIENT_KINDS = ("cad", "payment_portal")
# Operations any signed-in caller may use (code tables, the schedule, /auth/me, the payments
# list that answers each its own) validate alike for all: one person (records, whom the
# payments list shows everything) and one machine client (a portal, its own payments).
ANY_SIGNED_IN = ("records", "payment_portal")


def _callers(operation: Any) -> list[str]:
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


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_contract(case):
    for who in _callers(case.operation):
        _conforms(case, who, TOKENS)


@pg_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_contract_on_postgresql(case):
    if PG_SKIP_REASON is not None:
        pytest.skip(PG_SKIP_REASON)
    for who in _callers(case.operation):
        _conforms(case, who, PG_TOKENS)


def _conforms(case: Any, who: str, tokens: dict[str, str]) -> None:
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
    if case.query is not None and not case.meta.is_negative_at(ParameterLocation.QUERY):
        # Cursors are opaque values the server hands out; a generator cannot make valid ones
        # (test_pagination covers bad cursors).
        for opaque in ("cursor", "after"):
            case.query.pop(opaque, None)
        if isinstance(case.query.get("zone"), str):
            case.query["zone"] = "A"  # zones are records (unknown: 422, tested in test_check)
        if case.operation.label == "GET /api/v1/citations/lookup" and not (
            case.query.get("number") or (case.query.get("plate") and case.query.get("plate_state"))
        ):
            # By number, or by plate and state: parameters that depend on each other, which
            # the schema cannot state (422 lookup_needs_key, tested in test_payments).
            case.query["number"] = "C2026-0000001"
    if isinstance(case.body, dict) and not case.meta.is_negative_at(ParameterLocation.BODY):
        # Codes come from editable code tables (unknown ones are a contractual 422, tested in
        # the feature tests); give generated requests real ones so they reach the rules.
        for field, code in REAL_CODES.items():
            if isinstance(case.body.get(field), str):
                case.body[field] = code
        if isinstance(case.body.get("penalties"), list):
            # Distinct tier days: a rule JSON Schema cannot state (tested in test_violations).
            tiers = {t.get("after_days"): t for t in case.body["penalties"] if isinstance(t, dict)}
            case.body["penalties"] = list(tiers.values())
        persons = case.body.get("persons")
        for person in persons if isinstance(persons, list) else []:
            # A date of birth in the future is a contractual 422 (tested in test_strict_inputs).
            if isinstance(person, dict) and isinstance(person.get("date_of_birth"), str):
                person["date_of_birth"] = "1990-01-02"
        for vehicle in case.body.get("vehicles") or []:
            # A driver is an index into persons: a cross-reference the schema cannot state.
            if (
                isinstance(vehicle, dict)
                and isinstance(vehicle.get("driver"), int | float)
                and (not isinstance(persons, list) or vehicle["driver"] >= len(persons))
            ):
                vehicle["driver"] = None
        for field in REFERENCES:
            case.body.pop(field, None)
        for (first, last), (start, end) in WINDOWS.items():
            if isinstance(case.body.get(first), str) or isinstance(case.body.get(last), str):
                case.body[first], case.body[last] = start, end
        place = case.body.get("location")
        if "description" in case.body and isinstance(place, dict):
            # A defect is somewhere: an address, or lat and lon together (tested in
            # test_defects).
            if ("lat" in place) != ("lon" in place) or (place.get("lat") is None) != (
                place.get("lon") is None
            ):
                place.pop("lat", None)
                place.pop("lon", None)
            if not place.get("address") and place.get("lat") is None:
                place["address"] = "1 Main St"
        # Times in the future are a contractual 422 (tested per feature): keep them past.
        for field in ("received_at", "at", "issued_at", "occurred_from", "occurred_to"):
            if isinstance(case.body.get(field), str):
                case.body[field] = "2026-01-02T03:04:05Z"
    bad_body = who != "anonymous" and _negative_only_in(case, ParameterLocation.BODY)
    case.operation.schema.config.checks.negative_data_rejection = (
        BAD_BODY if bad_body else ANY_REFUSAL
    )
    # Our one required header parameter is If-Match, whose absence the contract answers with
    # 428 (tested per feature), where this check expects 400/422.
    excluded = [missing_required_header]
    if case.operation.label == "GET /api/v1/payments" and case.meta.is_negative_at(
        ParameterLocation.HEADER
    ):
        # Its one header parameter is `Accept`, which OpenAPI says a reader SHALL ignore
        # (3.1, Parameter Object): schemathesis "negates" it by not sending it at all.
        excluded.append(negative_data_rejection)
    case.call_and_validate(headers=headers, excluded_checks=excluded)
