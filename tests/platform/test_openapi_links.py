"""The contract's OpenAPI links (``csoapi.openapi_links``): each create's 201 answer links
to the operations that take the record it made. Every link resolves (its operation exists,
it fills exactly that operation's path parameters, each from a path parameter of the create
or a field of its answer of the parameter's type), every operation that names a record by
its path is reached by one unless listed below with its reason, and following the links of
a real answer over HTTP finds the record."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from csoapi.openapi import render
from tests.calls.helpers import create_call
from tests.factories import headers_for

PARAMETER = re.compile(r"\{([^}/]+)\}")
# Operations naming a record in their path that no link reaches, and why.
UNLINKED = {
    "problems_get": "a problem type is a page of the API's own, not a record any call makes",
    "vehicles_get": "a plate is not a record: its history is gathered from citations",
    "fleet_task_remove": "a maintenance task is added with 200 (the item as it now is)",
    "webhooks_delivery": "an event is the log's, not made by a create",
    "webhooks_redeliver": "an event is the log's, not made by a create",
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads(render())


def _operations(doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        op["operationId"]: (path, op) for path, item in doc["paths"].items() for op in item.values()
    }


def _links(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(create's path, create, link) for every link in the document."""
    return [
        (path, op, link)
        for path, item in doc["paths"].items()
        for op in item.values()
        for link in op["responses"].get("201", {}).get("links", {}).values()
    ]


def _resolve(doc: dict[str, Any], schema: dict[str, Any], pointer: str) -> dict[str, Any]:
    """The schema of the field a JSON pointer names in an answer of ``schema``."""
    for name in pointer.strip("/").split("/"):
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        assert name in schema.get("properties", {}), (pointer, name)
        schema = schema["properties"][name]
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    options = schema.get("anyOf", [schema])
    return {o.get("type") for o in options} - {"null"}


def test_every_link_resolves(doc):
    operations = _operations(doc)
    links = _links(doc)
    assert len(links) > 100  # every create with records under it
    for source_path, source, link in links:
        where = f"{source['operationId']} -> {link['operationId']}"
        assert link["operationId"] in operations, where
        target_path, target = operations[link["operationId"]]
        declared = {p["name"]: p for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) == set(PARAMETER.findall(target_path)) == set(declared)
        answer = source["responses"]["201"]["content"]["application/json"]["schema"]
        for name, expression in link["parameters"].items():
            if expression.startswith("$request.path."):
                assert expression.removeprefix("$request.path.") == name, where
                assert f"{{{name}}}" in source_path, where
                continue
            assert expression.startswith("$response.body#/"), where
            field = _resolve(doc, answer, expression.removeprefix("$response.body#"))
            assert _types(field) == _types(declared[name]["schema"]), (where, name)
        assert link["description"], where


def test_every_record_path_is_reached_by_a_link(doc):
    linked = {link["operationId"] for _, _, link in _links(doc)}
    unlinked = {
        op_id
        for op_id, (path, _) in _operations(doc).items()
        if PARAMETER.search(path) and op_id not in linked
    }
    assert unlinked == set(UNLINKED)


def test_links_go_to_the_records_the_create_made(doc):
    """Nested records take their parent from the create's own path; records of the same
    shape under another parent or table are not linked (a call type is no disposition, an
    impound's hold no evidence hold); a record answered inside another is found in it."""
    links = {
        (source["operationId"], link["operationId"]): link["parameters"]
        for _, source, link in _links(doc)
    }
    assert links["calls_create", "calls_get"] == {"call_id": "$response.body#/id"}
    assert links["impounds_holds_place", "impounds_holds_review"] == {
        "subject_id": "$request.path.subject_id",
        "hold_id": "$response.body#/id",
    }
    assert links["evidence_custody_record", "evidence_custody_proof"] == {
        "item_id": "$request.path.item_id",
        "seq": "$response.body#/seq",
    }
    assert links["codes_call_types_create", "codes_call_types_get"] == {
        "code": "$response.body#/code"
    }
    assert links["citations_pay", "payments_get"] == {"payment_id": "$response.body#/id"}
    assert links["permits_renew", "payments_reverse"] == {
        "payment_id": "$response.body#/payment/id"
    }
    assert links["services_create", "hsds_service"] == {"service_id": "$response.body#/id"}
    assert ("codes_call_types_create", "codes_dispositions_get") not in links
    assert ("impounds_holds_place", "evidence_holds_review") not in links
    assert ("impounds_create", "impounds_holds_review") not in links  # no hold id to give


async def test_following_the_links_finds_the_record(client, db, settings, doc):
    sergeant = headers_for(db, settings, "sergeant")
    call = await create_call(client, sergeant)
    _, create = _operations(doc)["calls_create"]
    gets = 0
    for link in create["responses"]["201"]["links"].values():
        path, target = _operations(doc)[link["operationId"]]
        if "get" not in doc["paths"][path] or doc["paths"][path]["get"] is not target:
            continue
        for name, expression in link["parameters"].items():
            path = path.replace(f"{{{name}}}", call[expression.rsplit("/", 1)[1]])
        r = await client.get(path, headers=sergeant)
        assert r.status_code == 200, (link["operationId"], r.text)
        gets += 1
    assert gets >= 3  # the call, its EIDO form and its timeline
