"""What a body's published JSON Schema refuses, the API refuses: no coercion of strings or
booleans into numbers, of booleans into objects or indexes, no duplicate keys, and an
invalid body is a 422 whatever its preconditions (If-Match)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.calls.helpers import CALLS, call_body, create_call
from tests.factories import assert_problem, headers_for

VIOLATIONS = "/api/v1/violations"
REPORTS = "/api/v1/reports"


def violation(**kw):
    body = {"code": "STRICT1", "description": "Strict", "fine_cents": 100}
    return body | {"effective_from": "2026-01-01"} | kw


def collision(**kw):
    body = {
        "kind": "collision",
        "narrative": "Parked car struck.",
        "persons": [{"role": "driver", "name": "Dee Driver"}],
        "vehicles": [{"role": "Struck", "plate": "7ABC123", "driver": 0}],
    }
    return body | kw


def _loc(response) -> list[list]:
    return [e["loc"] for e in response.json()["errors"]]


@pytest.fixture
def who(db, settings):
    return {r: headers_for(db, settings, r) for r in ("admin", "cso", "cad", "sergeant")}


@pytest.mark.parametrize("fine", ["100", True, 100.5, None, [100], {"cents": 100}])
async def test_fine_cents_takes_an_integer_only(client, who, fine):
    r = await client.post(VIOLATIONS, json=violation(fine_cents=fine), headers=who["admin"])
    assert_problem(r, 422, "validation_error")
    assert ["body", "fine_cents"] in _loc(r)


async def test_the_strict_body_still_takes_what_json_carries_as_strings(client, who):
    # Dates, times, ids and enumerations come as strings; numbers as numbers (an integer is
    # a JSON number too, so it is a valid latitude, and 100.0 is an integer to JSON Schema).
    r = await client.post(VIOLATIONS, json=violation(fine_cents=100.0), headers=who["admin"])
    assert r.status_code == 201, r.text
    assert r.json()["fine_cents"] == 100
    call = await create_call(
        client,
        who["cad"],
        source="cad",
        location={"address": "1 A St", "lat": 32, "lon": -117.5},
        received_at="2026-01-02T03:04:05-08:00",
    )
    assert call["location"]["lat"] == 32 and call["source"] == "cad"


@pytest.mark.parametrize("priority", [True, "1", 1.5])
async def test_priority_is_not_a_boolean_or_a_string(client, who, priority):
    r = await client.post(CALLS, json=call_body(priority=priority), headers=who["cad"])
    assert_problem(r, 422, "validation_error")
    assert ["body", "priority"] in _loc(r)


@pytest.mark.parametrize(
    "lat", [float("nan"), float("inf"), "32.7", True], ids=["nan", "inf", "str", "bool"]
)
async def test_coordinates_are_finite_numbers(client, who, lat):
    body = json.dumps(call_body(location={"address": "1 A St", "lat": lat, "lon": 1}))
    r = await client.post(
        CALLS, content=body, headers=who["cad"] | {"Content-Type": "application/json"}
    )
    assert_problem(r, 422, "validation_error")
    assert ["body", "location", "lat"] in _loc(r)


@pytest.mark.parametrize("driver", [False, True, "0", 0.5])
async def test_a_vehicles_driver_is_an_index_not_a_boolean(client, who, driver):
    vehicles = [{"role": "Struck", "plate": "7ABC123", "driver": driver}]
    r = await client.post(REPORTS, json=collision(vehicles=vehicles), headers=who["cso"])
    assert_problem(r, 422, "validation_error")
    assert ["body", "vehicles", 0, "driver"] in _loc(r)


async def test_an_invalid_body_is_422_before_any_precondition(client, who):
    r = await client.post(REPORTS, json=collision(), headers=who["cso"])
    assert r.status_code == 201, r.text
    url = f"{REPORTS}/{r.json()['id']}"
    bad = {"vehicles": [{"role": "Struck", "driver": False}]}
    # A stale ETag (the 412 is decided after validation), no If-Match at all, and a current
    # one: the body is what is wrong each time.
    for if_match in ('"7"', None, r.headers["etag"]):
        headers = who["cso"] | ({"If-Match": if_match} if if_match else {})
        r = await client.patch(url, json=bad, headers=headers)
        assert_problem(r, 422, "validation_error")
        assert ["body", "vehicles", 0, "driver"] in _loc(r)
    # A valid body without If-Match is still the 428, with a stale one the 412.
    assert_problem(await client.patch(url, json={"narrative": "x"}, headers=who["cso"]), 428)
    stale = who["cso"] | {"If-Match": '"7"'}
    assert_problem(await client.patch(url, json={"narrative": "x"}, headers=stale), 412)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"source": "phone", "source": "cad", "call_type": "PARKING",'
        b' "location": {"address": "1 A St"}}',
        b'{"source": "phone", "call_type": "PARKING",'
        b' "location": {"address": "1 A St", "beat": "1", "beat": "2"}}',
        b'{"source": "phone", "call_type": "PARKING", "location": {"address": "1 A St"},'
        b' "caller": {"name": "A"}, "caller": null}',
    ],
    ids=["top", "nested", "object-then-null"],
)
async def test_a_key_named_twice_is_refused(client, who, raw):
    headers = who["cad"] | {"Content-Type": "application/json"}
    r = await client.post(CALLS, content=raw, headers=headers)
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"][0]["type"] == "json_duplicate_key"
    # The same key in two different objects is no duplicate.
    ok = b'{"source": "phone", "call_type": "PARKING", "location": {"address": "1 A St"},'
    ok += b' "caller": {"name": "Pat"}, "description": "name"}'
    assert (await client.post(CALLS, content=ok, headers=headers)).status_code == 201


async def test_a_key_named_twice_is_refused_on_patch_and_with_a_charset(client, who):
    call = await create_call(client, who["cad"])
    r = await client.patch(
        f"{CALLS}/{call['id']}",
        content=b'{"description": "a", "description": "b"}',
        headers=who["sergeant"]
        | {"Content-Type": "application/json; charset=utf-8", "If-Match": '"1"'},
    )
    assert_problem(r, 422, "validation_error")


@pytest.mark.parametrize("days", [2, 400, 365 * 100])
async def test_a_date_of_birth_in_the_future_is_refused(client, who, days):
    born = (datetime.now(UTC) + timedelta(days=days)).date().isoformat()
    persons = [{"role": "driver", "name": "Dee Driver", "date_of_birth": born}]
    r = await client.post(REPORTS, json=collision(persons=persons), headers=who["cso"])
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body", "persons", 0, "date_of_birth"]
    assert body["errors"][0]["type"] == "date_in_future"


async def test_a_date_of_birth_today_or_before_is_taken(client, who):
    for born in (datetime.now(UTC).date().isoformat(), "1931-04-05"):
        persons = [{"role": "driver", "name": "Dee Driver", "date_of_birth": born}]
        r = await client.post(REPORTS, json=collision(persons=persons), headers=who["cso"])
        assert r.status_code == 201, r.text
