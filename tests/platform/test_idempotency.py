from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from csoapi.core.idempotency import IdempotencyRecord
from csoapi.core.models import utcnow
from csoapi.users.models import User
from tests.factories import assert_problem, bearer, create_user, headers_for, token_for

NEW = {
    "username": "new.cso",
    "full_name": "New CSO",
    "role": "cso",
    "password": "violet harbor lantern 42",
}


async def test_same_key_same_body_replays_the_first_response(client, db, settings):
    admin = headers_for(db, settings, "admin") | {"Idempotency-Key": "create-new-cso-1"}
    first = await client.post("/api/v1/users", json=NEW, headers=admin)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    # Same JSON, different key order and spacing: still the same body.
    again = await client.post(
        "/api/v1/users",
        content=b'{"role":"cso", "password":"'
        + b"violet harbor lantern 42"
        + b'","full_name":"New CSO","username":"new.cso"}',
        headers=admin | {"Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert db.scalar(sa.select(sa.func.count()).where(User.username == "new.cso")) == 1


async def test_same_key_other_body_is_422(client, db, settings):
    admin = headers_for(db, settings, "admin") | {"Idempotency-Key": "k-reused"}
    assert (await client.post("/api/v1/users", json=NEW, headers=admin)).status_code == 201
    r = await client.post("/api/v1/users", json=NEW | {"username": "other.cso"}, headers=admin)
    assert_problem(r, 422, "idempotency_key_reused")


async def test_keys_are_scoped_per_principal(client, db, settings):
    a = headers_for(db, settings, "admin") | {"Idempotency-Key": "shared-key"}
    b = headers_for(db, settings, "admin") | {"Idempotency-Key": "shared-key"}
    assert (await client.post("/api/v1/users", json=NEW, headers=a)).status_code == 201
    r = await client.post("/api/v1/users", json=NEW | {"username": "second.cso"}, headers=b)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers


async def test_failed_request_does_not_burn_the_key(client, db, settings):
    create_user(db, settings, "cso", username="taken.name")
    admin = headers_for(db, settings, "admin") | {"Idempotency-Key": "retry-after-fix"}
    r = await client.post("/api/v1/users", json=NEW | {"username": "taken.name"}, headers=admin)
    assert_problem(r, 409, "username_taken")
    # The failed attempt left no key behind: a corrected retry with the same key works
    # (had the key been kept, another body would be 422 idempotency_key_reused).
    r = await client.post("/api/v1/users", json=NEW | {"username": "fixed.name"}, headers=admin)
    assert r.status_code == 201, r.text


async def test_an_expired_key_is_claimed_afresh(client, db, settings):
    admin = headers_for(db, settings, "admin") | {"Idempotency-Key": "old-key"}
    assert (await client.post("/api/v1/users", json=NEW, headers=admin)).status_code == 201
    db.execute(
        sa.update(IdempotencyRecord)
        .where(IdempotencyRecord.key == "old-key")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    # Past its lifetime the key replays nothing: another body is a new request, not a 422.
    r = await client.post("/api/v1/users", json=NEW | {"username": "later.cso"}, headers=admin)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    keys = db.scalars(sa.select(IdempotencyRecord).where(IdempotencyRecord.key == "old-key"))
    assert [k.status_code for k in keys] == [201]
    again = await client.post("/api/v1/users", json=NEW | {"username": "later.cso"}, headers=admin)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["username"] == "later.cso"


async def test_bad_keys_are_422(client, db, settings):
    admin = headers_for(db, settings, "admin")
    for key in ("k" * 256, "has space", ""):
        r = await client.post("/api/v1/users", json=NEW, headers=admin | {"Idempotency-Key": key})
        assert_problem(r, 422)


async def test_concurrent_duplicates_create_once(live_client, live_db, settings, postgres_only):
    with live_db() as s:
        admin = create_user(s, settings, "admin")
        token = token_for(s, settings, admin)
    headers = bearer(token) | {"Idempotency-Key": "burst-1"}
    results = await asyncio.gather(
        *[live_client.post("/api/v1/users", json=NEW, headers=headers) for _ in range(8)]
    )
    assert [r.status_code for r in results] == [201] * 8, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(1 for r in results if r.headers.get("idempotent-replayed") == "true") == 7
    with live_db() as s:
        assert s.scalar(sa.select(sa.func.count()).where(User.username == "new.cso")) == 1
