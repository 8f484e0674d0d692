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
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import CheckConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
)

from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.migrate import upgrade
from csoapi.core.scopes import scopes_for
from csoapi.evidence.models import EvidenceLocation
from csoapi.main import create_app
from csoapi.permits.models import PermitZone
from tests.citations.helpers import schedule
from tests.conftest import PG_SKIP_REASON, _create_database, _drop_database, make_settings
from tests.factories import create_client, create_user, token_for

# Built at import: schemathesis makes one test per operation at collection time. One app
# per database, each on a fresh one (PostgreSQL when reachable: it refuses what SQLite
# stores, such as a value longer than its column).
_DIR = Path(tempfile.mkdtemp(prefix="csoapi-schemathesis-"))


class _Tokens:
    """A principal of each kind and a token for it, minted again once it is old: access
    tokens live at most 15 minutes, and on a loaded machine the suite can take longer than
    that between this module's import and its last PostgreSQL example."""

    FRESH_FOR = 600  # seconds

    def __init__(self, engine: Any, settings: Any) -> None:
        self.factory = make_session_factory(engine)
        self.settings = settings
        self.who: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}
        self.extra: dict[str, str] = {}  # ids of records the generated cases must name
        self.minted = 0.0
        with self.factory() as s:
            for role in ("admin", "sergeant", "cso", "records"):
                self.who[role] = create_user(s, settings, role)
            for kind in ("cad", "payment_portal"):
                self.who[kind] = create_client(s, settings, kind)[0]

    def update(self, values: dict[str, str]) -> None:
        self.extra.update(values)

    def __getitem__(self, who: str) -> str:
        if who in self.extra:
            return self.extra[who]
        if time.monotonic() - self.minted > self.FRESH_FOR:
            with self.factory() as s:
                self.tokens = {k: token_for(s, self.settings, v) for k, v in self.who.items()}
            self.minted = time.monotonic()
        return self.tokens[who]


def _app_with_tokens(url: str) -> tuple[Any, _Tokens]:
    upgrade(url)
    settings = make_settings(url)
    # Given an engine, a PostgreSQL app opens an unpooled asyncpg connection per unit: this
    # app is driven from each test's own event loop in turn.
    engine = make_engine(url)
    app = create_app(settings, engine=engine)
    tokens = _Tokens(engine, settings)
    with make_session_factory(engine)() as s:
        schedule(s, settings)
        tokens.update(_storage(s))
        s.add(PermitZone(code="A", name="Zone A"))
        s.commit()
    return app, tokens


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
REFERENCES = ("call_id", "citation_id", "report_id", "staff", "fleet_items")
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


def _evidence_references(case: Any, tokens: _Tokens) -> None:
    """Storage an intake names must exist and suit the item's kind (evidence apart from
    property, IAPE), only found or safekeeping property has an owner, and a shelf is in a
    room and a bin on a shelf: rules across fields and records the schema cannot state
    (tested in tests/evidence)."""
    body, label = case.body, case.operation.label
    if label == "POST /api/v1/evidence":
        evidence = body.get("kind") == "evidence"
        body["location_id"] = tokens["loc:shelf"] if evidence else tokens["loc:property"]
        if evidence:
            body.pop("owner", None)
        if isinstance(body.get("collected_at"), str):
            body["collected_at"] = "2026-01-02T03:04:05Z"
    elif label == "POST /api/v1/evidence/locations":
        level = body.get("level")
        parent = {"shelf": tokens["loc:room"], "bin": tokens["loc:shelf"]}.get(level)
        body["parent_id"] = parent
        if level == "room":
            body["purpose"] = body.get("purpose") or "evidence"
        elif body.get("purpose") is not None:
            body["purpose"] = "evidence"
    elif label == "POST /api/v1/evidence/audits":
        body.pop("location_id", None)


def _pair(item: dict[str, Any], *names: str) -> None:
    """Fields that go together: all given, or none."""
    if any(item.get(n) is None for n in names):
        for n in names:
            item.pop(n, None)


def _dependent_fields(label: str, body: dict[str, Any]) -> None:
    """Rules between fields that JSON Schema cannot state, each a contractual 422 tested in
    the feature's tests: kept out of generated bodies so they reach the rules after them."""
    if label == "POST /api/v1/clients":
        # A provider names its organization (a reference to a record), no other kind does.
        body.pop("organization_id", None)
        if body.get("kind") == "provider":
            body["kind"] = "cad"
    if label in ("POST /api/v1/services", "PATCH /api/v1/services/{service_id}"):
        low, high = body.get("minimum_age"), body.get("maximum_age")
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            body["maximum_age"] = None
        schedules = [s for s in body.get("schedules") or [] if isinstance(s, dict)]
        for loc in body.get("locations") or []:
            if isinstance(loc, dict):
                _pair(loc, "latitude", "longitude")
                schedules += [s for s in loc.get("schedules") or [] if isinstance(s, dict)]
        for schedule in schedules:
            _pair(schedule, "opens_at", "closes_at")
            schedule.pop("valid_to", None)
    if label == "POST /api/v1/calls/{call_id}/hand-off" and isinstance(body.get("referral"), dict):
        body = body["referral"]
        label = "POST /api/v1/referrals"
    if label == "POST /api/v1/referrals":
        body.pop("consent", None)  # names organizations (references), and its times
        person = body.get("person")
        if isinstance(person, dict) and isinstance(person.get("date_of_birth"), str):
            person["date_of_birth"] = "1990-01-02"
    if label == "POST /api/v1/webhooks" and isinstance(body.get("url"), str):
        # A target must resolve to a public address (422 private_target or
        # unresolvable_host, tested in tests/webhooks): generated host names resolve nowhere.
        body["url"] = "https://93.184.215.14/hook"
    if label == "POST /api/v1/webhooks/{webhook_id}/recover" and "since" in body:
        body["since"] = "2099-01-01T00:00:00Z"  # within the retention (tested in tests/webhooks)
    if label == "POST /api/v1/fleet/{item_id}/service-records" and "serviced_on" in body:
        # A service date that has come (422 date_in_future, tested in tests/fleet).
        body["serviced_on"] = "2026-01-02"
    if "expires_at" in body:  # a consent: it expires after it was given
        body["expires_at"] = "2099-01-02T03:04:05Z"


def _conforms(case: Any, who: str, tokens: _Tokens) -> None:
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
        # Parameters that only mean something with another (tested in tests/directory):
        # proximity is measured from a postcode, a radius around a point.
        if "postcode" not in case.query:
            case.query.pop("proximity", None)
        if "near" not in case.query:
            case.query.pop("radius_km", None)
        # Cursors are opaque values the server hands out; a generator cannot make valid ones
        # (test_pagination covers bad cursors).
        for opaque in ("cursor", "after"):
            case.query.pop(opaque, None)
        if isinstance(case.query.get("zone"), str):
            case.query["zone"] = "A"  # zones are records (unknown: 422, tested in test_check)
        if case.operation.label == "GET /api/v1/stats/summary":
            # 'to' after 'from' (422 invalid_period, tested in tests/stats)
            case.query["from"], case.query["to"] = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
        if case.operation.label == "GET /api/v1/citations/lookup" and not (
            case.query.get("number") or (case.query.get("plate") and case.query.get("plate_state"))
        ):
            # By number, or by plate and state: parameters that depend on each other, which
            # the schema cannot state (422 lookup_needs_key, tested in test_payments).
            case.query["number"] = "C2026-0000001"
        if case.operation.label == "GET /api/v1/evidence/log/consistency":
            # from <= to: parameters that depend on each other (tested in tests/evidence).
            q = case.query
            if (
                isinstance(q.get("from"), int)
                and isinstance(q.get("to"), int)
                and q["from"] > q["to"]
            ):
                q["from"], q["to"] = q["to"], q["from"]
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
        _evidence_references(case, tokens)
        _dependent_fields(case.operation.label, case.body)
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
        vehicle = case.body.get("vehicle")
        if isinstance(vehicle, dict) and not (vehicle.get("plate") and vehicle.get("plate_state")):
            # An impound's vehicle has a plate with its state, or a VIN: fields that depend
            # on each other (422 vehicle_unidentified, tested in tests/impounds).
            vehicle |= {"plate": "7ABC123", "plate_state": "CA"}
        times = ("received_at", "at", "issued_at", "occurred_from", "occurred_to")
        for field in (*times, "requested_at", "towed_at"):
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
    if case.operation.label == "POST /api/v1/defects/{defect_id}/photos":
        # Any bytes are a schema-valid binary body, but a photo must decode as the image its
        # Content-Type names (422 photo_unreadable, tested in tests/defects).
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers=headers, excluded_checks=excluded)
