"""The committed contract equals what the app serves, and every operation is documented."""

from __future__ import annotations

import json
from pathlib import Path

from csoapi.openapi import render

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
# The evidence log key is published so that anyone can check a head without an account.
PUBLIC = {
    "/healthz",
    "/readyz",
    "/api/v1/auth/token",
    "/api/v1/auth/revoke",
    "/api/v1/evidence/log/key",
    "/problems",  # the pages problem `type` URIs name describe the API, not a record
    "/problems/{code}",
}


def test_committed_contract_has_no_drift():
    assert COMMITTED.read_text() == render(), (
        "openapi/openapi.json is stale: run `make openapi` (csoapi export-openapi) and commit it"
    )


async def test_served_contract_is_the_committed_one(client):
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    served = r.json()
    committed = json.loads(COMMITTED.read_text())
    assert served["paths"] == committed["paths"]


def test_every_operation_is_documented():
    doc = json.loads(render())
    op_ids = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            assert op.get("tags"), where
            assert op.get("operationId") and op["operationId"] not in op_ids, where
            op_ids.add(op["operationId"])
            statuses = set(op["responses"])
            if path not in PUBLIC:
                assert op.get("security"), f"{where} has no security requirement"
                assert "401" in statuses, f"{where} lacks 401"
                scoped = any(scopes for req in op["security"] for scopes in req.values())
                assert not scoped or "403" in statuses, f"{where} lacks 403"
            for status, resp in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in resp.get("content", {}), (where, status)


def test_errors_rates_and_bounds_are_documented_for_every_operation():
    """As the server sends them (problem+json, never application/json), for every feature
    (``csoapi.openapi.polish``), so generated clients parse errors and tools find bounds."""
    doc = json.loads(render())
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            responses = op["responses"]
            assert {"429", "500"} <= set(responses), where
            assert path == "/healthz" or "503" in responses, where
            for status, resp in responses.items():
                if status[0] in "45":
                    assert resp["content"] == {"application/problem+json": {"schema": problem}}
                if status[0] in "24":
                    assert {"RateLimit", "RateLimit-Policy"} <= set(resp["headers"]), where
                if status in ("429", "503"):
                    assert "Retry-After" in resp["headers"], where
            for param in op.get("parameters", []):
                options = param["schema"].get("anyOf", [])
                assert {"type": "null"} not in options, (where, param["name"])
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    text = json.dumps(doc)
    for schema in _schemas(doc):
        kind = schema.get("type")
        if kind == "string" and '"text/csv"' not in json.dumps(schema):
            assert {"maxLength", "enum", "const"} & schema.keys(), schema
        elif kind == "integer":
            assert {"minimum", "maximum", "format"} <= schema.keys() or (
                "exclusiveMinimum" in schema and "maximum" in schema
            ), schema
        elif kind == "array":
            assert "maxItems" in schema, schema
    assert '"maxItems": 500' in text  # a page holds at most MAX_LIMIT items


def _schemas(doc):
    """Every JSON schema in the components and in the JSON bodies and parameters of paths."""
    pending = list(doc["components"]["schemas"].values())
    for item in doc["paths"].values():
        for op in item.values():
            pending += [p["schema"] for p in op.get("parameters", [])]
            bodies = [op.get("requestBody", {}), *op["responses"].values()]
            for body in bodies:
                pending += [m["schema"] for t, m in body.get("content", {}).items() if "json" in t]
    while pending:
        schema = pending.pop()
        if isinstance(schema, dict):
            yield schema
            pending += [v for k, v in schema.items() if k != "properties"]
            pending += list(schema.get("properties", {}).values())
        elif isinstance(schema, list):
            pending += schema


WHO = "**Who may call:**"


def test_every_operation_has_a_summary_and_a_description_ending_with_its_callers():
    """Issue 22: every operation says what a caller must know. Its description (the route's
    own, then who may call it, read off its security and the role table) is never empty."""
    from csoapi.core.scopes import ROLE_SCOPES
    from csoapi.openapi import who_may_call

    doc = json.loads(render())
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary", "").strip(), where
            description = op.get("description", "")
            assert description.endswith(who_may_call(op.get("security"))), where
            assert description.count(WHO) == 1, where
    # The sentence names exactly the roles and client kinds holding the scopes.
    void = who_may_call([{"OAuth2": ["citations:void"]}])
    assert [w for w, s in ROLE_SCOPES.items() if "citations:void" in s] == ["sergeant"]
    assert "role `sergeant`" in void and "cso" not in void
    dispatch = who_may_call([{"OAuth2": ["calls:dispatch"]}])
    assert "role `sergeant`" in dispatch and "client kind `cad`" in dispatch
    both = who_may_call([{"OAuth2": ["referrals:write", "calls:write"]}])
    assert "`calls:write` and `referrals:write`" in both and "cad" not in both
    assert "no token" in who_may_call(None)


def test_every_operation_has_a_description_of_its_own():
    """Written for integrators in the route (what it does, who may call it beyond the scope,
    the errors worth knowing), not only the generated sentence: a new operation without one
    fails here."""
    doc = json.loads(render())
    bare = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op["description"].startswith(WHO)
    ]
    assert not bare, bare
