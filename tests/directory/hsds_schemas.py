"""The HSDS 3.0 JSON Schemas of ../shared/data/standards/hsds/schema, in one referencing
registry, made strict the way upstream CI compiles them (additionalProperties false
everywhere, as compiletojsonschema --set-additional-properties-false-everywhere does)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://hsds.test/schema/"


def strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


@functools.cache
def registry(folder: Path) -> Registry:
    resources = []
    for path in sorted(folder.glob("*.json")):
        if path.name in ("openapi.json", "service.compiled.json"):
            continue
        contents = strict(json.loads(path.read_text()))
        resources.append(
            (BASE + path.name, Resource.from_contents(contents, default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


def validator(folder: Path, table: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": BASE + f"{table}.json"},
        registry=registry(folder),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def page_validator(folder: Path, table: str) -> Draft202012Validator:
    """The API's page envelope (``components.schemas.Page`` of the HSDS OpenAPI), every
    member required, with ``contents`` items of ``table``."""
    oas = json.loads((folder / "openapi.json").read_text())
    page = oas["components"]["schemas"]["Page"]
    schema = {
        "type": "object",
        "properties": {
            **page["properties"],
            "contents": {"type": "array", "items": {"$ref": BASE + f"{table}.json"}},
        },
        "required": [*page["properties"], "contents"],
        "additionalProperties": False,
    }
    return Draft202012Validator(
        schema, registry=registry(folder), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors(v: Draft202012Validator, body: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(body)]
