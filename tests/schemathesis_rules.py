"""What the schemathesis harness (``tests/schemathesis_harness.py``) does to generated requests
so that they reach the rules past schema validation, and the one check it narrows.

JSON Schema cannot state a rule across fields or records (a window's order, a reference to a
record, a code from an editable code table): a schema-valid request may still break one, and the
API answers it with a 422 of the rule's own code, tested in the feature's tests. The harness
gives generated requests valid values for those rules, so that most of them get past them and
exercise what follows; a rule it does not know yet is not a failure (see
``schema_valid_requests_pass_validation``)."""

from __future__ import annotations

import json
from typing import Any

from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData

from csoapi.core.schemas import NUL_MESSAGE

REAL_CODES = {
    "call_type": "PARKING",
    "disposition": "REPORT_TAKEN",
    "offense_code": "290",
    "violation_code": "22500E",
    "permit_zone": "A",
    "zone": "A",
}
# References to other records: generated ids name nothing (a contractual 422 or 404).
REFERENCES = ("call_id", "citation_id", "report_id", "staff", "liaison_id", "fleet_items")
# Windows whose order (and a permit's length) is a rule JSON Schema cannot state (tested in
# the feature tests): generated ones get a valid window.
WINDOWS = {
    ("valid_from", "valid_to"): ("2026-03-01", "2026-03-02"),
    ("starts_at", "ends_at"): ("2026-01-02T03:00:00Z", "2026-01-02T05:00:00Z"),
}


def _evidence_references(case: Any, tokens: Any) -> None:
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


# What each grant of the token endpoint needs (RFC 6749 §4.3.2, §4.4.2, §6): a rule across
# the form's fields, a 400 invalid_request without it (tests/auth/test_auth.py).
GRANT_NEEDS = {
    "password": ("username", "password"),
    "client_credentials": ("client_id", "client_secret"),
    "refresh_token": ("refresh_token",),
}


def _dependent_fields(label: str, body: dict[str, Any]) -> None:
    """Rules between fields that JSON Schema cannot state, each a contractual 422 tested in
    the feature's tests: kept out of generated bodies so they reach the rules after them."""
    for field in GRANT_NEEDS.get(body.get("grant_type"), ()) if "/auth/token" in label else ():
        if not body.get(field):
            body[field] = "fuzzed-" + field
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


def reach_query(case: Any) -> None:
    """Valid values, in a schema-valid query, for the rules between its parameters."""
    if case.query is None or case.meta.is_negative_at(ParameterLocation.QUERY):
        return
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
        if isinstance(q.get("from"), int) and isinstance(q.get("to"), int) and q["from"] > q["to"]:
            q["from"], q["to"] = q["to"], q["from"]


def reach_body(case: Any, tokens: Any) -> None:
    """Valid values, in a schema-valid body, for the rules across its fields and records."""
    if not isinstance(case.body, dict) or case.meta.is_negative_at(ParameterLocation.BODY):
        return
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
    # held_at: a Watch meeting's (in the future: 422 time_in_future, tests/outreach).
    for field in (*times, "requested_at", "towed_at", "held_at"):
        if isinstance(case.body.get(field), str):
            case.body[field] = "2026-01-02T03:04:05Z"


# The codes of a request the API refuses as malformed: its schema said otherwise if the
# request was schema-valid.
MALFORMED = {"validation_error", "bad_request"}
# RFC 6749 §5.2 answers refused credentials and scopes 400 as well: a refusal by the records
# (no such user, a wrong secret, a scope not granted), not a malformed request.
REFUSED_GRANT = {"invalid_grant", "invalid_scope"}


def schema_valid_requests_pass_validation(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's ``positive_data_acceptance``, narrowed to what a schema promises: a
    schema-valid request is never refused as malformed (400, or 422 ``validation_error``),
    which would mean the document describes another API than the one that runs. A 422 with a
    rule's own code (``override_without_zone``, ``bad_tree_sizes``, ...) is a rule across fields
    or records that JSON Schema cannot state, documented on the operation and tested in its
    feature; so is U+0000 in any text (the API's description says so; JSON Schema cannot say
    it once for every string)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        problem = {}
    code = problem.get("code") if isinstance(problem, dict) else None
    if response.status_code == 422 and code not in MALFORMED:
        return None
    if response.status_code == 400 and code is not None and problem.get("error") in REFUSED_GRANT:
        return None
    errors = problem.get("errors") if isinstance(problem, dict) else None
    if errors and all(NUL_MESSAGE in str(e.get("msg", "")) for e in errors):
        return None
    raise RejectedPositiveData(
        operation=case.operation.label,
        message=f"A schema-valid request was refused as malformed ({code})",
        status_code=response.status_code,
        allowed_statuses=["2xx", "3xx", "401", "403", "404", "409", "422 with a rule's code"],
    )
