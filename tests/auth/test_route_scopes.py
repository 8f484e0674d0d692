"""Function-level authorization, route by route: every operation in the OpenAPI document
that declares scopes answers 401 without a token, and 403 to every role and client kind
whose scopes hold none of them, before it looks at anything else (parameters, body,
records). New routes are walked as they are added."""

from __future__ import annotations

import re
from typing import Any

import pytest

from csoapi.core.scopes import ROLE_SCOPES
from csoapi.main import create_app
from tests.conftest import make_settings
from tests.factories import assert_problem, everyone

NIL = "00000000-0000-4000-8000-000000000000"


def _operations() -> list[tuple[str, str, frozenset[str]]]:
    doc = create_app(make_settings("sqlite://")).openapi()
    ops = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "security" not in op:
                continue  # public: health, the token endpoints
            wanted = {s for req in op["security"] for s in req.get("OAuth2", [])}
            ops.append((method.upper(), _concrete(path, op), frozenset(wanted)))
    return ops


def _concrete(path: str, op: dict[str, Any]) -> str:
    """A path with every parameter filled with a value of its type that names nothing."""
    kinds = {p["name"]: p.get("schema", {}).get("type") for p in op.get("parameters", [])}

    def value(m: re.Match[str]) -> str:
        return "1" if kinds.get(m.group(1)) == "integer" else NIL

    return re.sub(r"\{([^}:]+)[^}]*\}", value, path)


OPERATIONS = _operations()


def _lacking(wanted: frozenset[str]) -> list[str]:
    """Who holds none of the route's scopes (nobody, for a route any principal may use)."""
    if not wanted:
        return []
    return sorted(who for who, scopes in ROLE_SCOPES.items() if not scopes & wanted)


@pytest.fixture
def team(db, settings) -> dict[str, Any]:
    return everyone(db, settings)


def test_the_walk_covers_the_api():
    """Every /api/v1 operation but the token endpoints takes a token."""
    assert len(OPERATIONS) >= 75
    assert all(path.startswith("/api/v1/") for _, path, _ in OPERATIONS)


def _id(value: object) -> str:
    """A test id the same in every process (a set's order is not: xdist compares them)."""
    return " ".join(sorted(value)) if isinstance(value, frozenset) else str(value)


@pytest.mark.parametrize(("method", "path", "wanted"), OPERATIONS, ids=_id)
async def test_no_token_is_401_and_a_role_without_the_scope_is_403(
    client, team, method, path, wanted
):
    url = path
    body = {} if method in {"POST", "PATCH", "PUT"} else None
    r = await client.request(method, url, json=body)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    for who in _lacking(wanted):
        r = await client.request(method, url, json=body, headers=team[who].headers)
        assert_problem(r, 403)
        assert r.status_code == 403, (who, method, path)
