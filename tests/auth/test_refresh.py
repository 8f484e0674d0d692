"""Refresh grants: the rotated grant is the original one, never more (RFC 6749 §6)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.scopes import Role
from csoapi.users.models import User
from tests.auth.test_auth import TOKEN, login
from tests.factories import assert_problem, bearer, create_user

ME = "/api/v1/auth/me"


async def refresh(client, token: str, scope: str | None = None):
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if scope is not None:
        data["scope"] = scope
    return await client.post(TOKEN, data=data)


async def scopes_of(client, body: dict) -> list[str]:
    me = await client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    return me.json()["scopes"]


async def test_a_narrowed_grant_stays_narrow_across_refreshes(client, db, settings):
    create_user(db, settings, Role.cso, username="cso.narrow")
    body = (await login(client, "cso.narrow", scope="calls:read")).json()
    for _ in range(2):
        r = await refresh(client, body["refresh_token"])
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["scope"] == "calls:read"
        assert await scopes_of(client, body) == ["calls:read"]


async def test_a_refresh_may_narrow_further_but_never_widen(client, db, settings):
    create_user(db, settings, Role.cso, username="cso.narrower")
    body = (await login(client, "cso.narrower", scope="calls:read reports:read")).json()
    r = await refresh(client, body["refresh_token"], scope="calls:read")
    assert r.status_code == 200 and r.json()["scope"] == "calls:read", r.text
    # Without a scope the next refresh is the original grant again, not the narrowed one.
    r = await refresh(client, r.json()["refresh_token"])
    assert r.json()["scope"] == "calls:read reports:read", r.text
    body = r.json()
    # A scope of the role that was not granted is refused, and the token is not spent.
    for wider in ("calls:write", "audit:read", "calls:read calls:write"):
        r = await refresh(client, body["refresh_token"], wider)
        assert_problem(r, 400, "invalid_scope")
    r = await refresh(client, body["refresh_token"])
    assert r.status_code == 200 and r.json()["scope"] == "calls:read reports:read"


async def test_a_full_grant_refreshes_into_the_same_full_grant(client, db, settings):
    create_user(db, settings, Role.records, username="rec.full")
    body = (await login(client, "rec.full")).json()
    r = await refresh(client, body["refresh_token"])
    assert r.json()["scope"] == body["scope"]


async def test_a_role_changed_since_leaves_the_intersection(client, db, settings):
    """A role change through the API ends the user's sign-ins; one made any other way (or a
    release that changes a role's scopes) must still never add a scope at refresh."""
    user = create_user(db, settings, Role.sergeant, username="sgt.moved")
    granted = "audit:read calls:read reports:review"
    body = (await login(client, "sgt.moved", scope=granted)).json()
    db.execute(sa.update(User).where(User.id == user.id).values(role=Role.cso.value))
    db.commit()
    r = await refresh(client, body["refresh_token"])
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "calls:read"
    me = (await client.get(ME, headers=bearer(r.json()["access_token"]))).json()
    assert me["role"] == "cso" and me["scopes"] == ["calls:read"]
    # Nothing of the grant left for the current role: the sign-in cannot be refreshed.
    body = (await login(client, "sgt.moved", scope="calls:read")).json()
    db.execute(sa.update(User).where(User.id == user.id).values(role=Role.admin.value))
    db.commit()
    assert_problem(await refresh(client, body["refresh_token"]), 400, "invalid_grant")


async def test_a_retried_refresh_within_the_grace_gets_the_same_rotation(client, db, settings):
    create_user(db, settings, Role.cso, username="cso.retry")
    first = (await login(client, "cso.retry", scope="calls:read")).json()
    second = (await refresh(client, first["refresh_token"])).json()
    # The reply was lost and the client sends the same token again, a moment later.
    retry = await refresh(client, first["refresh_token"])
    assert retry.status_code == 200, retry.text
    again = retry.json()
    assert again["refresh_token"] == second["refresh_token"]
    assert again["access_token"] != second["access_token"] and again["scope"] == "calls:read"
    for body in (first, second, again):
        assert await scopes_of(client, body) == ["calls:read"]
    # The successor is used: the family has moved on, and the old token is now a reuse.
    third = (await refresh(client, second["refresh_token"])).json()
    assert_problem(await refresh(client, first["refresh_token"]), 400, "invalid_grant")
    for body in (first, second, third):
        assert_problem(await client.get(ME, headers=bearer(body["access_token"])), 401)
    assert_problem(await refresh(client, third["refresh_token"]), 400, "invalid_grant")


async def test_parallel_refreshes_of_one_token_keep_the_sign_in(
    live_client, live_db, settings, postgres_only
):
    with live_db() as s:
        create_user(s, settings, Role.sergeant, username="sgt.tabs")
    body = (await login(live_client, "sgt.tabs")).json()
    results = await asyncio.gather(*[refresh(live_client, body["refresh_token"]) for _ in range(6)])
    assert [r.status_code for r in results] == [200] * 6, [r.text for r in results]
    successors = {r.json()["refresh_token"] for r in results}
    assert len(successors) == 1
    for r in results:
        assert (
            await live_client.get(ME, headers=bearer(r.json()["access_token"]))
        ).status_code == 200
    nxt = await refresh(live_client, successors.pop())
    assert nxt.status_code == 200, nxt.text
    with live_db() as s:
        reuses = s.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "auth.refresh_reuse")
        )
        assert reuses == 0
