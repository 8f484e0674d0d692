"""The token and revoke endpoints' errors are RFC 6749 §5.2 error responses (issue 22) as
well as problems: an `error` member from the RFC's list, status 400 (401 for
invalid_client, with `WWW-Authenticate`), beside the problem+json members and `code`.
Elsewhere nothing changes: a 422 is a 422 without `error`."""

from __future__ import annotations

import base64

from csoapi.core.scopes import ClientKind, Role
from tests.factories import PASSWORD, assert_problem, create_client, create_user, headers_for

TOKEN = "/api/v1/auth/token"
REVOKE = "/api/v1/auth/revoke"
RFC6749 = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
}


def oauth_error(response, status: int, error: str) -> dict:
    body = assert_problem(response, status)
    assert body["error"] == error and error in RFC6749, body
    assert body["code"] == error, body  # the problem code is the RFC's error code
    return body


async def test_each_error_the_token_endpoint_sends(client, db, settings):
    user = create_user(db, settings, Role.cso, username="cso.rfc")
    api_client, secret = create_client(db, settings, ClientKind.cad)
    password = {"grant_type": "password", "username": user.username}

    r = await client.post(TOKEN, data=password)  # no password
    oauth_error(r, 400, "invalid_request")
    r = await client.post(TOKEN, data={"password": PASSWORD})  # no grant_type
    body = oauth_error(r, 400, "invalid_request")
    assert body["errors"][0]["loc"] == ["body", "grant_type"]
    r = await client.post(TOKEN, json=password | {"password": PASSWORD})  # not a form
    oauth_error(r, 400, "invalid_request")

    r = await client.post(TOKEN, data=password | {"password": "wrong"})
    body = oauth_error(r, 400, "invalid_grant")
    assert "www-authenticate" not in r.headers
    r = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "nope"})
    oauth_error(r, 400, "invalid_grant")

    form = {"grant_type": "client_credentials", "client_id": api_client.client_id}
    r = await client.post(TOKEN, data=form | {"client_secret": secret + "x"})
    oauth_error(r, 401, "invalid_client")
    assert r.headers["www-authenticate"].startswith("Basic")
    wrong = base64.b64encode(f"{api_client.client_id}:x".encode()).decode()
    r = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {wrong}"},
    )
    oauth_error(r, 401, "invalid_client")
    assert r.headers["www-authenticate"].startswith("Basic")

    r = await client.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"})
    oauth_error(r, 400, "invalid_request")  # an unknown field: the form is refused first
    r = await client.post(TOKEN, data={"grant_type": "authorization_code"})
    oauth_error(r, 400, "unsupported_grant_type")

    r = await client.post(TOKEN, data=password | {"password": PASSWORD, "scope": "admin"})
    oauth_error(r, 400, "invalid_scope")
    r = await client.post(TOKEN, data=form | {"client_secret": secret, "scope": "audit:read"})
    oauth_error(r, 400, "invalid_scope")

    r = await client.post(TOKEN, data=password | {"password": PASSWORD})
    assert r.status_code == 200, r.text  # none of the above locked the account or client
    assert (await client.post(TOKEN, data=form | {"client_secret": secret})).status_code == 200


async def test_the_revoke_endpoint_too(client):
    oauth_error(await client.post(REVOKE, data={}), 400, "invalid_request")
    oauth_error(await client.post(REVOKE, json={"token": "x"}), 400, "invalid_request")
    r = await client.post(REVOKE, data={"token": "not-one-of-ours"})
    assert r.status_code == 200 and r.json() == {"revoked": False}


async def test_other_routes_keep_their_422_and_415(client, db, settings):
    admin = headers_for(db, settings, "admin")
    body = assert_problem(
        await client.post("/api/v1/users", json={"bogus": 1}, headers=admin),
        422,
        "validation_error",
    )
    assert "error" not in body
    r = await client.post(
        "/api/v1/users", content=b"x", headers=admin | {"Content-Type": "text/plain"}
    )
    assert "error" not in assert_problem(r, 415, "unsupported_media_type")


def test_the_contract_says_so():
    import json

    from csoapi.openapi import render

    doc = json.loads(render())
    for path in (TOKEN, REVOKE):
        op = doc["paths"][path]["post"]
        assert op["x-oauth2-error-responses"] is True
        assert "422" not in op["responses"] and "415" not in op["responses"]
        assert "RFC 6749" in op["responses"]["400"]["description"]
