"""The smaller integrator surprises of issue 22, each as it was found: bad JSON named a
character as if it were a field; a text/plain body was a 422; domain 422s had `field` but no
`errors[]`; expired, wrongly signed and wrong-audience tokens got one identical message; a
production start without a secret printed a traceback."""

from __future__ import annotations

from datetime import timedelta

from jose import jwt
from typer.testing import CliRunner

import csoapi.cli as cli
from csoapi.core.config import get_settings
from csoapi.core.models import utcnow
from csoapi.core.scopes import Role
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem, create_user, headers_for, token_for

ME = "/api/v1/auth/me"


async def test_bad_json_says_so_without_a_fake_field(client, db, settings):
    admin = headers_for(db, settings, "admin")
    r = await client.post(
        "/api/v1/users",
        content=b'{"username": "x", "role": }',
        headers=admin | {"Content-Type": "application/json"},
    )
    body = assert_problem(r, 422, "validation_error")
    assert body["detail"].startswith("body: not valid JSON")
    assert "JSON decode error" not in body["detail"]
    assert body["errors"][0]["loc"] == ["body"] and body["errors"][0]["type"] == "json_invalid"


async def test_a_body_of_another_media_type_is_415(client, db, settings):
    admin = headers_for(db, settings, "admin")
    r = await client.post(
        "/api/v1/users",
        content=b'{"username": "x"}',
        headers=admin | {"Content-Type": "text/plain"},
    )
    body = assert_problem(r, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]
    # The token endpoint's form is still read; an empty POST body is not refused here.
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password"})
    assert r.status_code != 415


async def test_domain_422s_list_errors_as_validation_does(client, db, settings):
    schedule(db, settings)
    cso = headers_for(db, settings, "cso")
    r = await client.post(CITATIONS, json=citation_body(violation_code="NOPE1"), headers=cso)
    body = assert_problem(r, 422, "unknown_violation")
    assert body["field"] == "violation_code"
    assert body["errors"] == [
        {"loc": ["body", "violation_code"], "msg": body["detail"], "type": "unknown_violation"}
    ]
    portal = headers_for(db, settings, "payment_portal")
    r = await client.get(f"{CITATIONS}/lookup", headers=portal)
    body = assert_problem(r, 422, "lookup_needs_key")
    assert body["errors"][0]["loc"] == ["query"]


async def test_each_token_fault_says_which(client, db, settings):
    valid = token_for(db, settings, create_user(db, settings, Role.sergeant))
    claims = jwt.get_unverified_claims(valid)
    past = int((utcnow() - timedelta(hours=1)).timestamp())
    key = settings.signing_key()
    tokens = {
        "expired": jwt.encode(claims | {"exp": past, "iat": past - 60, "nbf": past - 60}, key),
        "signature": jwt.encode(claims, "another-key-" + "z" * 40),
        "audience": jwt.encode(claims | {"aud": "someone-else"}, key),
    }
    details = {}
    for fault, token in tokens.items():
        r = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
        details[fault] = assert_problem(r, 401, "invalid_token")["detail"]
    assert len(set(details.values())) == 3, details
    assert "expired" in details["expired"].lower()
    assert "signature" in details["signature"].lower()
    assert "audience" in details["audience"].lower()


def test_a_production_start_without_a_secret_is_one_line(monkeypatch):
    monkeypatch.setenv("CSOAPI_ENV", "production")
    monkeypatch.delenv("CSOAPI_JWT_SECRET", raising=False)
    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: None)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "CSOAPI_JWT_SECRET" in lines[0], result.output
    assert "Traceback" not in result.output
