from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from csoapi.core import events
from csoapi.core.audit import AuditEvent
from tests.factories import (
    assert_problem,
    bearer,
    create_client,
    create_user,
    headers_for,
    token_for,
)


async def test_writes_are_audited_with_who_what_where(client, db, settings):
    admin_user = create_user(db, settings, "admin")
    admin = bearer(token_for(db, settings, admin_user)) | {"X-Request-ID": "req-audit-1"}
    r = await client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "aud.cso",
            "full_name": "A",
            "role": "cso",
            "password": "violet harbor lantern 42",
        },
    )
    assert r.status_code == 201
    row = db.scalars(sa.select(AuditEvent).where(AuditEvent.request_id == "req-audit-1")).one()
    assert row.action == "user.create" and row.outcome == "success"
    assert row.actor_id == str(admin_user.id) and row.actor_kind == "user" and row.role == "admin"
    assert row.entity_type == "user" and row.entity_id == r.json()["id"]
    assert row.source_ip == "203.0.113.7"


async def test_refused_writes_leave_a_trace(client, db, settings):
    admin_user = create_user(db, settings, "admin")
    admin = bearer(token_for(db, settings, admin_user)) | {"X-Request-ID": "req-refused"}
    r = await client.post(
        "/api/v1/users/00000000-0000-4000-8000-000000000000/deactivate", headers=admin
    )
    assert_problem(r, 404)
    row = db.scalars(sa.select(AuditEvent).where(AuditEvent.request_id == "req-refused")).one()
    assert row.outcome == "denied" and row.detail == {"status": 404, "code": "user_not_found"}


async def test_audit_search_filters_and_pages(client, db, settings):
    sergeant = headers_for(db, settings, "sergeant")
    admin_user = create_user(db, settings, "admin")
    admin = bearer(token_for(db, settings, admin_user))
    for i in range(5):
        await client.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": f"pg.{i}",
                "full_name": "P",
                "role": "cso",
                "password": "violet harbor lantern 42",
            },
        )
    r = await client.get(
        "/api/v1/audit",
        headers=sergeant,
        params={"action": "user.create", "actor_id": str(admin_user.id), "limit": 2},
    )
    assert r.status_code == 200
    seen, cursor = [], None
    while True:
        params = {"action": "user.create", "actor_id": str(admin_user.id), "limit": 2}
        body = (
            await client.get(
                "/api/v1/audit",
                headers=sergeant,
                params=params | ({"cursor": cursor} if cursor else {}),
            )
        ).json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and len({s["id"] for s in seen}) == 5
    assert [s["id"] for s in seen] == sorted((s["id"] for s in seen), reverse=True)
    assert all(s["actor_id"] == str(admin_user.id) for s in seen)
    cso = headers_for(db, settings, "cso")
    assert_problem(await client.get("/api/v1/audit", headers=cso), 403, "insufficient_scope")


async def test_audit_rows_cannot_be_changed_on_postgres(db, settings, postgres_only):
    create_user(db, settings, "cso")
    for stmt in (
        sa.update(AuditEvent).values(outcome="tampered"),
        sa.delete(AuditEvent),
        # With its seals (they reference it; alone, the foreign key refuses it first).
        sa.text("TRUNCATE audit_event, audit_seal"),
        sa.text("TRUNCATE audit_seal"),
    ):
        with pytest.raises(DBAPIError) as info, db.begin_nested():
            db.execute(stmt)
        assert "append-only" in str(info.value)


def _append(factory, type_: str, scope: str, entity_id: str) -> None:
    with factory() as s:
        events.append(
            s,
            type_,
            entity_type="test",
            entity_id=entity_id,
            read_scope=scope,
            payload={"id": entity_id},
        )
        s.commit()


async def settled_feed(client, headers, expected: int, **params):
    """The feed shows an event once every transaction older than it has ended — on the whole
    server (transaction ids are cluster-wide), so wait briefly for unrelated ones to end."""
    for _ in range(100):
        body = (await client.get("/api/v1/events", headers=headers, params=params)).json()
        if len(body["items"]) >= expected:
            return body
        await asyncio.sleep(0.1)
    return body


@pytest.mark.synthetic_events
async def test_event_feed_filters_by_scope_and_type_and_pages(live_client, live_db, settings):
    with live_db() as s:
        cad_client, _ = create_client(s, settings, "cad")
        cad = bearer(token_for(s, settings, cad_client))
        portal_client, _ = create_client(s, settings, "payment_portal")
        portal = bearer(token_for(s, settings, portal_client))
    for i in range(5):
        _append(live_db, "call.created", "calls:read", f"call-{i}")
    _append(live_db, "citation.issued", "citations:lookup", "cit-1")
    _append(live_db, "referral.status_changed", "referrals:read", "ref-1")

    body = await settled_feed(live_client, cad, 5)
    assert [e["entity_id"] for e in body["items"]] == [f"call-{i}" for i in range(5)]
    assert body["next_cursor"] is None
    first_two = (await live_client.get("/api/v1/events", headers=cad, params={"limit": 2})).json()
    assert [e["entity_id"] for e in first_two["items"]] == ["call-0", "call-1"]
    rest = (
        await live_client.get(
            "/api/v1/events", headers=cad, params={"after": first_two["next_cursor"]}
        )
    ).json()
    assert [e["entity_id"] for e in rest["items"]] == ["call-2", "call-3", "call-4"]

    body = await settled_feed(live_client, portal, 1)
    assert [e["type"] for e in body["items"]] == ["citation.issued"]
    body = (
        await live_client.get(
            "/api/v1/events",
            headers=cad,
            params={"types": "citation.issued,referral.status_changed"},
        )
    ).json()
    assert body["items"] == []
    r = await live_client.get("/api/v1/events", headers=cad, params={"after": "not-a-position"})
    assert_problem(r, 422, "invalid_cursor")
    with live_db() as s:
        cso = headers_for(s, settings, "cso")
    assert_problem(await live_client.get("/api/v1/events", headers=cso), 403)


@pytest.mark.synthetic_events
async def test_event_committed_late_is_not_skipped(live_client, live_db, settings, postgres_only):
    """A reader never passes an event whose transaction is still open."""
    with live_db() as s:
        cad = bearer(token_for(s, settings, create_client(s, settings, "cad")[0]))
    slow = live_db()
    events.append(
        slow,
        "call.created",
        entity_type="test",
        entity_id="slow",
        read_scope="calls:read",
        payload={},
    )
    slow.flush()
    _append(live_db, "call.created", "calls:read", "fast")
    body = (await live_client.get("/api/v1/events", headers=cad)).json()
    assert body["items"] == []  # "fast" waits behind the open transaction
    slow.commit()
    slow.close()
    body = await settled_feed(live_client, cad, 2)
    assert [e["entity_id"] for e in body["items"]] == ["slow", "fast"]
