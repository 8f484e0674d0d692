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
