from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from csoapi.clients.models import ApiClient
from csoapi.core.pagination import SortKey, decode_cursor, encode_cursor
from tests.factories import assert_problem, headers_for

SAME_INSTANT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("limit", [1, 7, 10, 500])
async def test_cursor_visits_every_row_once_when_timestamps_tie(client, db, settings, limit):
    for i in range(23):
        db.add(
            ApiClient(
                client_id=f"cad-tie-{i:02d}",
                name=f"tie {i}",
                kind="cad",
                secret_hash="0" * 64,
                created_at=SAME_INSTANT,
                updated_at=SAME_INSTANT,
            )
        )
    db.commit()
    admin = headers_for(db, settings, "admin")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": limit, "kind": "cad"} | ({"cursor": cursor} if cursor else {})
        r = await client.get("/api/v1/clients", params=params, headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        seen += [c["client_id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(f"cad-tie-{i:02d}" for i in range(23))
    assert len(seen) == len(set(seen)) == 23
    assert pages == -(-23 // limit)  # no empty trailing page


async def test_bad_cursors_are_422(client, db, settings):
    admin = headers_for(db, settings, "admin")
    users_cursor = encode_cursor(
        "users",
        [SortKey(None, "str", lambda r: r[0]), SortKey(None, "uuid", lambda r: r[1])],
        ("a", uuid.uuid4()),
    )
    for cursor in ("garbage", "W10", "eyJ4IjoxfQ", users_cursor):
        r = await client.get("/api/v1/clients", params={"cursor": cursor}, headers=admin)
        assert_problem(r, 422, "invalid_cursor")


def test_cursor_round_trip_and_tag_check():
    keys = [
        SortKey(None, "datetime", lambda r: r[0]),
        SortKey(None, "uuid", lambda r: r[1]),
        SortKey(None, "int", lambda r: r[2]),
    ]
    row = (SAME_INSTANT, uuid.uuid4(), 42)
    cursor = encode_cursor("calls", keys, row)
    assert decode_cursor("calls", keys, cursor) == list(row)
    with pytest.raises(Exception) as info:
        decode_cursor("citations", keys, cursor)
    assert getattr(info.value, "code", None) == "invalid_cursor"


# Crafted cursors: any value a client can put in one. The edges of datetime's range are the
# ones that overflowed (9999-12-31 at a negative offset is in year 10000 in UTC, 0001-01-01
# at a positive one in year 0); the rest are every other shape a JSON value can take.
OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda m: timezone(timedelta(minutes=m))
)
EDGE_TIMES = st.sampled_from(
    [
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59.999999-14:00",
        "9999-12-31T23:59:59-00:01",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00.000001+00:01",
        "2026-01-02T03:04:05",
    ]
)
TIMES = EDGE_TIMES | st.builds(
    lambda d, tz: d.replace(tzinfo=tz).isoformat(), st.datetimes(), OFFSETS
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30])  # BIGINT's ends
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["\x00", "\ud800", "a\x00b"])
)
VALUES = (
    TIMES
    | st.dates().map(date.isoformat)
    | st.uuids().map(str)
    | SCALARS
    | st.lists(SCALARS, max_size=2)
    | st.dictionaries(st.text(max_size=3), SCALARS, max_size=2)
)
# (listing, its cursors' tag, who may read it)
LISTINGS = [
    ("/api/v1/calls", "calls", "sergeant"),
    ("/api/v1/audit", "audit", "sergeant"),
    ("/api/v1/users", "users", "admin"),
    ("/api/v1/violations", "violations", "admin"),
]


THE_TAG = object()  # stands for the listing's own tag


def _crafted() -> st.SearchStrategy[Any]:
    """A cursor's payload: mostly the right tag and one or two keys of any value."""
    shaped = st.tuples(st.just(THE_TAG), st.lists(VALUES, min_size=1, max_size=2))
    other = st.tuples(st.text(max_size=10) | SCALARS, st.lists(VALUES, max_size=3) | VALUES)
    return (shaped | shaped | other).map(list) | VALUES


def _b64(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _encoded(payload: Any, tag: str) -> str | None:
    if isinstance(payload, list) and payload and payload[0] is THE_TAG:
        payload = [tag, *payload[1:]]
    cursor = _b64(payload)
    return cursor if 0 < len(cursor) <= 512 else None  # what the query parameter admits


async def _assert_cursor_refused_or_read(client, path: str, cursor: str | None, headers) -> None:
    if cursor is None:
        return
    r = await client.get(path, params={"cursor": cursor}, headers=headers)
    if r.status_code != 200:
        assert_problem(r, 422, "invalid_cursor")


@pytest.fixture
def readers(db, settings):
    return {role: headers_for(db, settings, role) for role in ("sergeant", "admin")}


@pytest.mark.parametrize(("path", "tag", "role"), LISTINGS, ids=[x[1] for x in LISTINGS])
@settings_(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload=_crafted())
async def test_crafted_cursors_are_refused_never_a_500(client, readers, path, tag, role, payload):
    await _assert_cursor_refused_or_read(client, path, _encoded(payload, tag), readers[role])


@pytest.fixture
def live_reader(live_db, settings):
    with live_db() as s:
        return headers_for(s, settings, "sergeant")


@settings_(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload=_crafted())
async def test_crafted_cursors_on_the_hot_calls_list(live_client, live_reader, payload):
    # On PostgreSQL the calls list runs on asyncpg (run_unit), which binds values its own way.
    cursor = _encoded(payload, "calls")
    await _assert_cursor_refused_or_read(live_client, "/api/v1/calls", cursor, live_reader)


POSITIONS = (
    st.tuples(st.integers(), st.integers()).map(lambda p: f"{p[0]}.{p[1]}")
    | st.tuples(st.integers(min_value=2**62), st.integers(0, 9)).map(lambda p: f"{p[1]}.{p[0]}")
    | st.text(alphabet="0123456789._+- ", max_size=30)
    | st.text(max_size=20)
)


@settings_(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=POSITIONS)
async def test_crafted_event_positions_are_refused_never_a_500(client, feed_reader, raw):
    after = base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")
    if not 0 < len(after) <= 64:
        return
    r = await client.get("/api/v1/events", params={"after": after}, headers=feed_reader)
    if r.status_code != 200:
        assert_problem(r, 422, "invalid_cursor")


@pytest.fixture
def feed_reader(db, settings):
    return headers_for(db, settings, "cad")


ID = "0b1e4a3c-1111-4222-8333-944445555666"
# Cursors this API never writes, each once a 500 (or a 422 that blamed the wrong thing).
NEVER_HANDED_OUT = [
    ("/api/v1/calls", ["calls", ["9999-12-31T23:59:59-14:00", ID]], "sergeant"),
    ("/api/v1/calls", ["calls", ["9999-12-31T23:59:59.999999-00:01", ID]], "sergeant"),
    ("/api/v1/calls", ["calls", ["0001-01-01T00:00:00+14:00", ID]], "sergeant"),
    ("/api/v1/calls", ["calls", ["2026-01-02T03:04:05+01:00", ID]], "sergeant"),  # not UTC
    ("/api/v1/calls", ["calls", ["2026-01-02T03:04:05", ID]], "sergeant"),
    ("/api/v1/calls", ["calls", ["2026-01-02T03:04:05+00:00", 5]], "sergeant"),
    ("/api/v1/calls", ["calls", ["2026-01-02T03:04:05+00:00", ID.replace("-", "")]], "sergeant"),
    ("/api/v1/audit", ["audit", [2**63]], "sergeant"),
    ("/api/v1/audit", ["audit", [-(2**63) - 1]], "sergeant"),
    ("/api/v1/audit", ["audit", [10**30]], "sergeant"),
    ("/api/v1/users", ["users", ["a\x00b", ID]], "admin"),
    ("/api/v1/users", ["users", ["\ud800", ID]], "admin"),
    ("/api/v1/violations", ["violations", ["X", "20260101"]], "admin"),
]


@pytest.mark.parametrize(("path", "payload", "role"), NEVER_HANDED_OUT)
async def test_cursors_never_handed_out_are_invalid_cursor(client, readers, path, payload, role):
    r = await client.get(path, params={"cursor": _b64(payload)}, headers=readers[role])
    assert_problem(r, 422, "invalid_cursor")


async def test_cursors_at_the_ends_of_time_in_utc_are_read(client, readers):
    # The same instants in UTC are positions like any other: 200, on both databases.
    for value in ("9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00:00+00:00"):
        r = await client.get(
            "/api/v1/calls",
            params={"cursor": _b64(["calls", [value, ID]])},
            headers=readers["sergeant"],
        )
        assert r.status_code == 200, r.text
