from __future__ import annotations

import base64
from datetime import timedelta

import httpx
import sqlalchemy as sa

from csoapi.auth.models import RefreshToken
from csoapi.core.audit import AuditEvent
from csoapi.core.models import utcnow
from csoapi.core.scopes import ROLE_SCOPES, ClientKind, Role
from csoapi.users.models import User
from tests.factories import (
    PASSWORD,
    assert_problem,
    bearer,
    create_client,
    create_user,
    headers_for,
)

TOKEN = "/api/v1/auth/token"


async def login(client, username: str, password: str = PASSWORD, **extra):
    return await client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password, **extra}
    )


def from_address(app, address: str) -> httpx.AsyncClient:
    """A client of the test's app connecting from ``address`` (the ``client`` fixture's is
    203.0.113.7); use it inside a test that has the ``client`` or ``connection`` fixture."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_password_grant_issues_tokens_that_work(client, db, settings):
    user = create_user(db, settings, Role.cso, username="cso.ada")
    r = await login(client, "CSO.Ada")  # usernames are case-insensitive
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert 0 < body["expires_in"] <= 15 * 60
    assert body["refresh_token"]
    assert set(body["scope"].split()) == ROLE_SCOPES[Role.cso]
    assert r.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": str(user.id),
        "kind": "user",
        "username": "cso.ada",
        "client_id": None,
        "role": "cso",
        "scopes": sorted(ROLE_SCOPES[Role.cso]),
    }


async def test_wrong_password_and_unknown_user_are_the_same_401(client, db, settings):
    create_user(db, settings, Role.cso, username="cso.bo")
    wrong = await login(client, "cso.bo", "not the password at all")
    unknown = await login(client, "nobody.here", "not the password at all")
    for r in (wrong, unknown):
        body = assert_problem(r, 400, "invalid_grant")
        assert body["error"] == "invalid_grant"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_lockout_after_five_failures_in_window(client, app, db, settings):
    user = create_user(db, settings, Role.cso, username="cso.lock")
    # From two sources: one alone is throttled before it could lock the account.
    async with from_address(app, "198.51.100.20") as other:
        for i in range(settings.lockout_max_failures):
            r = await login(client if i % 2 else other, "cso.lock", "wrong password 123")
            assert_problem(r, 400, "invalid_grant")
    # Locked now: even the right password is refused, with the same answer.
    assert_problem(await login(client, "cso.lock"), 400, "invalid_grant")
    db.expire_all()
    locked = db.get(User, user.id)
    assert locked is not None and locked.locked_until is not None
    assert locked.locked_until > utcnow() + timedelta(minutes=14)
    outcomes = db.scalars(
        sa.select(AuditEvent.outcome).where(
            AuditEvent.action == "auth.login", AuditEvent.entity_id == str(user.id)
        )
    ).all()
    assert outcomes.count("failed") == 5 and outcomes.count("locked") == 1
    # When the lock has passed, the right password works again.
    db.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    assert (await login(client, "cso.lock")).status_code == 200


async def test_failures_outside_the_window_do_not_lock(client, app, db, settings):
    user = create_user(db, settings, Role.cso, username="cso.slow")
    async with from_address(app, "198.51.100.21") as other:
        for i in range(4):
            await login(client if i % 2 else other, "cso.slow", "wrong password 123")
    # The first failure was long ago: the window restarts with the next one.
    db.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(first_failed_at=utcnow() - timedelta(minutes=16))
    )
    db.commit()
    await login(client, "cso.slow", "wrong password 123")
    assert (await login(client, "cso.slow")).status_code == 200


async def test_admin_unlocks_a_locked_account(client, app, db, settings):
    user = create_user(db, settings, Role.cso, username="cso.unlock")
    async with from_address(app, "198.51.100.22") as other:
        for i in range(5):
            await login(client if i % 2 else other, "cso.unlock", "wrong password 123")
    assert_problem(await login(client, "cso.unlock"), 400, "invalid_grant")
    admin = headers_for(db, settings, "admin")
    r = await client.post(f"/api/v1/users/{user.id}/unlock", headers=admin)
    assert r.status_code == 200 and r.json()["locked_until"] is None
    assert (await login(client, "cso.unlock")).status_code == 200


async def test_client_credentials_form_and_basic(client, db, settings):
    api_client, secret = create_client(db, settings, ClientKind.payment_portal)
    r = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": api_client.client_id,
            "client_secret": secret,
        },
    )
    assert r.status_code == 200, r.text
    assert "refresh_token" not in r.json() or r.json()["refresh_token"] is None
    assert set(r.json()["scope"].split()) == ROLE_SCOPES[ClientKind.payment_portal]
    basic = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
    r = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200, r.text
    me = await client.get("/api/v1/auth/me", headers=bearer(r.json()["access_token"]))
    assert me.json()["client_id"] == api_client.client_id and me.json()["username"] is None
    assert me.json()["role"] == "payment_portal"


async def test_client_credentials_failures(client, db, settings):
    api_client, secret = create_client(db, settings, ClientKind.cad)
    r = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": api_client.client_id,
            "client_secret": secret + "x",
        },
    )
    assert_problem(r, 401, "invalid_client")
    basic = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
    r = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert_problem(r, 400, "invalid_request")
    r = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!notbase64"},
    )
    assert_problem(r, 401, "invalid_client")


async def test_token_endpoint_bad_requests(client, db, settings):
    assert_problem(
        await client.post(TOKEN, data={"grant_type": "implicit"}), 400, "unsupported_grant_type"
    )
    assert_problem(
        await client.post(TOKEN, data={"grant_type": "password", "username": "x"}),
        400,
        "invalid_request",
    )
    # A form the schema refuses is RFC 6749 §5.2 invalid_request, a 400 (a 422
    # validation_error before issue 22), still listing the faults in errors[].
    for form in (
        {"grant_type": "password", "bogus": "1"},
        {},
        {"grant_type": "password", "username": "u" * 300, "password": "p"},
    ):
        body = assert_problem(await client.post(TOKEN, data=form), 400, "invalid_request")
        assert body["error"] == "invalid_request" and body["errors"], body


async def test_requested_scope_subset_and_unavailable_scope(client, db, settings):
    create_user(db, settings, Role.cso, username="cso.scope")
    r = await login(client, "cso.scope", scope="calls:read reports:read")
    assert r.status_code == 200
    me = await client.get("/api/v1/auth/me", headers=bearer(r.json()["access_token"]))
    assert me.json()["scopes"] == ["calls:read", "reports:read"]
    r = await login(client, "cso.scope", scope="calls:read audit:read")
    assert_problem(r, 400, "invalid_scope")


async def test_refresh_rotates_and_reuse_revokes_the_family(client, db, settings):
    create_user(db, settings, Role.sergeant, username="sgt.rot")
    first = (await login(client, "sgt.rot")).json()
    r = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/v1/auth/me", headers=bearer(second["access_token"]))
    ).status_code == 200
    # The first refresh token again, later than a retry's grace: reuse. 401, and the whole
    # sign-in ends.
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds + 1)
    db.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.used_at.is_not(None))
        .values(used_at=utcnow() - grace)
    )
    db.commit()
    reuse = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert_problem(reuse, 400, "invalid_grant")
    for token in (first["access_token"], second["access_token"]):
        assert_problem(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    r = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    )
    assert_problem(r, 400, "invalid_grant")
    assert (
        db.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "auth.refresh_reuse")) == 1
    )


async def test_unknown_refresh_token_is_401(client):
    r = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "made-up"})
    assert_problem(r, 400, "invalid_grant")


async def test_revoke_access_or_refresh_token_ends_the_sign_in(client, db, settings):
    create_user(db, settings, Role.cso, username="cso.rev")
    tokens = (await login(client, "cso.rev")).json()
    r = await client.post("/api/v1/auth/revoke", data={"token": tokens["access_token"]})
    assert r.status_code == 200 and r.json() == {"revoked": True}
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])), 401)
    r = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert_problem(r, 400, "invalid_grant")
    # A refresh token can be revoked too; unknown tokens are not an error (RFC 7009).
    tokens = (await login(client, "cso.rev")).json()
    r = await client.post("/api/v1/auth/revoke", data={"token": tokens["refresh_token"]})
    assert r.json() == {"revoked": True}
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])), 401)
    r = await client.post("/api/v1/auth/revoke", data={"token": "not-a-token"})
    assert r.status_code == 200 and r.json() == {"revoked": False}


async def test_deactivation_and_role_change_end_live_tokens_at_once(client, db, settings):
    admin = headers_for(db, settings, "admin")
    create_user(db, settings, Role.cso, username="cso.gone")
    create_user(db, settings, Role.cso, username="cso.promo")
    gone = (await login(client, "cso.gone")).json()
    promo = (await login(client, "cso.promo")).json()
    users = (await client.get("/api/v1/users", headers=admin, params={"role": "cso"})).json()[
        "items"
    ]
    ids = {u["username"]: u["id"] for u in users}

    r = await client.post(f"/api/v1/users/{ids['cso.gone']}/deactivate", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(gone["access_token"])), 401)
    assert_problem(await login(client, "cso.gone"), 400, "invalid_grant")
    r = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": gone["refresh_token"]}
    )
    assert_problem(r, 400, "invalid_grant")

    current = await client.get(f"/api/v1/users/{ids['cso.promo']}", headers=admin)
    r = await client.patch(
        f"/api/v1/users/{ids['cso.promo']}",
        json={"role": "sergeant"},
        headers=admin | {"If-Match": current.headers["etag"]},
    )
    assert r.status_code == 200 and r.json()["role"] == "sergeant"
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(promo["access_token"])), 401)
    fresh = (await login(client, "cso.promo")).json()
    me = await client.get("/api/v1/auth/me", headers=bearer(fresh["access_token"]))
    assert me.json()["role"] == "sergeant" and "reports:review" in me.json()["scopes"]


async def test_client_deactivation_and_rotation_end_live_tokens(client, db, settings):
    admin = headers_for(db, settings, "admin")
    api_client, secret = create_client(db, settings, ClientKind.cad)
    creds = {
        "grant_type": "client_credentials",
        "client_id": api_client.client_id,
        "client_secret": secret,
    }
    token = (await client.post(TOKEN, data=creds)).json()["access_token"]
    r = await client.post(f"/api/v1/clients/{api_client.id}/rotate-secret", headers=admin)
    assert r.status_code == 200 and r.json()["client_secret"] != secret
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    assert_problem(await client.post(TOKEN, data=creds), 401, "invalid_client")
    creds["client_secret"] = r.json()["client_secret"]
    token = (await client.post(TOKEN, data=creds)).json()["access_token"]
    r = await client.post(f"/api/v1/clients/{api_client.id}/deactivate", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    assert_problem(await client.post(TOKEN, data=creds), 401, "invalid_client")
