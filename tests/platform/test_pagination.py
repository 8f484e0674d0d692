from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

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
