"""The role → scope table of the contract, token by token and endpoint by endpoint."""

from __future__ import annotations

import pytest

from csoapi.core.scopes import ROLE_SCOPES
from tests.factories import assert_problem, bearer, create_client, create_user, token_for

CONTRACT = {
    "cso": "calls:read calls:write reports:read reports:write citations:read citations:issue "
    "impounds:read impounds:write evidence:read evidence:write referrals:read referrals:write "
    "services:read field:read field:write",
    "sergeant": "calls:read calls:write reports:read reports:write citations:read citations:issue "
    "impounds:read impounds:write evidence:read evidence:write referrals:read referrals:write "
    "services:read field:read field:write "
    "calls:dispatch reports:review citations:void impounds:holds evidence:approve "
    "audit:read stats:read fleet:write",
    "records": "calls:read reports:read reports:records citations:read citations:adjudicate "
    "payments:read payments:write impounds:read impounds:release evidence:read evidence:write "
    "evidence:dispose stats:read field:read permits:write fleet:write",
    "admin": "admin services:read services:write audit:read",
    "cad": "calls:read calls:write calls:dispatch reports:export events:read webhooks:write",
    "payment_portal": "citations:lookup permits:lookup payments:write events:read webhooks:write",
    "provider": "services:read referrals:provider events:read webhooks:write",
}
CLIENT_KINDS = {"cad", "payment_portal", "provider"}

NO_ID = "00000000-0000-4000-8000-000000000000"
# One representative read endpoint per scope that has one; extended as features land.
ENDPOINTS = {
    "admin": "/api/v1/users",
    "calls:read": "/api/v1/calls",
    "citations:read": "/api/v1/citations",
    "reports:read": "/api/v1/reports",
    "reports:export": "/api/v1/reports/export",
    "citations:lookup": "/api/v1/citations/lookup?number=C2026-0000001",
    "audit:read": "/api/v1/audit",
    "events:read": "/api/v1/events",
    "field:read": "/api/v1/permits",
}


# One representative write per scope: (method, path, body). 403 when the scope is missing;
# with it, anything but 401/403 (the body may still be refused by a rule).
WRITES = {
    "calls:write": (
        "POST",
        "/api/v1/calls",
        {"source": "phone", "call_type": "PARKING", "location": {"address": "1 Main St"}},
    ),
    "citations:issue": (
        "POST",
        "/api/v1/citations",
        {
            "plate": "1ABC234",
            "plate_state": "CA",
            "location": {"address": "1 Main St"},
            "violation_code": "NONE",
        },
    ),
    "reports:write": ("POST", "/api/v1/reports", {"kind": "activity", "narrative": "Patrol log"}),
    "reports:review": ("POST", f"/api/v1/reports/{NO_ID}/approve", None),
    "reports:records": ("POST", f"/api/v1/reports/{NO_ID}/process", None),
    "citations:void": ("POST", f"/api/v1/citations/{NO_ID}/void", {"reason": "x"}),
    "payments:write": (
        "POST",
        f"/api/v1/citations/{NO_ID}/payments",
        {"amount_cents": 100, "method": "cash"},
    ),
    "field:write": (
        "POST",
        "/api/v1/defects",
        {"kind": "sign", "location": {"address": "1 Main St"}, "description": "Stop sign down"},
    ),
    "permits:write": ("POST", "/api/v1/permits/zones", {"code": "Z1", "name": "Zone 1"}),
    "permits:lookup": ("GET", "/api/v1/permits/lookup?number=P2026-000001", None),
    "fleet:write": (
        "POST",
        f"/api/v1/fleet/{NO_ID}/check-out",
        {"holder_id": "00000000-0000-4000-8000-000000000000"},
    ),
    "calls:dispatch": (
        "POST",
        "/api/v1/calls/00000000-0000-4000-8000-000000000000/assign",
        {"assigned_to": "00000000-0000-4000-8000-000000000000"},
    ),
}


def test_role_scope_table_matches_the_contract():
    assert {k: set(v) for k, v in ROLE_SCOPES.items()} == {
        k: set(v.split()) for k, v in CONTRACT.items()
    }


def _token(db, settings, role: str) -> str:
    if role in CLIENT_KINDS:
        return token_for(db, settings, create_client(db, settings, role)[0])
    return token_for(db, settings, create_user(db, settings, role))


@pytest.mark.parametrize("role", sorted(CONTRACT))
async def test_every_role_against_every_scope(client, db, settings, role):
    token = _token(db, settings, role)
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert set(me.json()["scopes"]) == set(CONTRACT[role].split())
    for scope, path in ENDPOINTS.items():
        r = await client.get(path, headers=bearer(token))
        expected = 200 if scope in CONTRACT[role].split() else 403
        assert r.status_code == expected, (role, scope, r.text)
    for scope, (method, path, body) in WRITES.items():
        r = await client.request(method, path, json=body, headers=bearer(token))
        if scope in CONTRACT[role].split():
            assert r.status_code not in (401, 403), (role, scope, r.text)
        else:
            assert r.status_code == 403, (role, scope, r.text)


# The hot routes (their work runs as one unit, core.context.Gate) with input that is invalid
# in every part: the token is judged first, so a caller lacking the scope learns nothing of
# the route's validation rules (403), and one without a token nothing at all (401).
HOT_INVALID = {
    "citations:lookup": ("GET", "/api/v1/citations/lookup?number=!!&plate_state=california", None),
    "citations:issue": ("POST", "/api/v1/citations", {"plate": 7, "unknown": True}),
    "calls:write": ("POST", "/api/v1/calls", {"source": "fax", "priority": "1"}),
    "calls:read": ("GET", "/api/v1/calls?priority=9&limit=0&status=nope", None),
}
LACKING = {
    "citations:lookup": "cso",
    "citations:issue": "records",
    "calls:write": "records",
    "calls:read": "payment_portal",
}


@pytest.mark.parametrize("scope", sorted(HOT_INVALID))
async def test_hot_routes_judge_the_token_before_the_input(client, db, settings, scope):
    method, path, body = HOT_INVALID[scope]
    r = await client.request(method, path, json=body)
    assert_problem(r, 401)
    lacking = _token(db, settings, LACKING[scope])
    r = await client.request(method, path, json=body, headers=bearer(lacking))
    assert_problem(r, 403, "insufficient_scope")
    assert f'scope="{scope}"' in r.headers["WWW-Authenticate"]
    # A token narrowed to other scopes, by a role that has this one, is refused the same way.
    holder = "payment_portal" if scope == "citations:lookup" else "sergeant"
    who = (
        create_client(db, settings, holder)[0]
        if holder in CLIENT_KINDS
        else create_user(db, settings, holder)
    )
    narrowed = token_for(db, settings, who, scopes=frozenset({"events:read", "audit:read"}))
    r = await client.request(method, path, json=body, headers=bearer(narrowed))
    assert_problem(r, 403, "insufficient_scope")
    # And a caller who holds the scope gets the validation details.
    r = await client.request(method, path, json=body, headers=bearer(token_for(db, settings, who)))
    assert_problem(r, 422, "validation_error")


@pytest.mark.parametrize("scope", sorted(HOT_INVALID))
async def test_hot_routes_a_signed_out_token_lacking_the_scope_is_401(client, db, settings, scope):
    """Revoked is invalid (401), whatever scopes the token names."""
    method, path, body = HOT_INVALID[scope]
    token = _token(db, settings, LACKING[scope])
    revoked = await client.post("/api/v1/auth/revoke", data={"token": token})
    assert revoked.status_code == 200, revoked.text
    r = await client.request(method, path, json=body, headers=bearer(token))
    assert_problem(r, 401)


@pytest.mark.parametrize("scope", sorted(HOT_INVALID))
async def test_hot_routes_judge_the_token_first_on_their_own_units(
    live_client, live_db, settings, scope
):
    # Real commits; on PostgreSQL the refusal is settled on asyncpg, as in production.
    method, path, body = HOT_INVALID[scope]
    with live_db() as s:
        lacking = _token(s, settings, LACKING[scope])
    r = await live_client.request(method, path, json=body, headers=bearer(lacking))
    assert_problem(r, 403, "insufficient_scope")
    await live_client.post("/api/v1/auth/revoke", data={"token": lacking})
    r = await live_client.request(method, path, json=body, headers=bearer(lacking))
    assert_problem(r, 401)
