"""The OpenAPI document: what FastAPI generates, finished in one place for every feature, and
rendered the same way for the committed file and the drift test.

``polish`` makes the document say what the server does, in the form tools read:

* every 4xx/5xx response is ``application/problem+json`` with the ``Problem`` schema (what
  the server sends), FastAPI's own 422 model included, so generated clients parse errors;
* every operation documents 429 (``Retry-After``), 500 and, where a database is behind it,
  503; every 2xx and 4xx answer documents the ``RateLimit``/``RateLimit-Policy`` headers of
  ``core.middleware.ClientRateMiddleware``;
* an optional query or header parameter is its type (not "the type or null": a parameter is
  absent, never null);
* every string, array and integer is bounded: where a model declares no bound, the one the
  code keeps is written in (``_bound``): an input string takes at most ``Input``'s 10,000
  characters; text in a response, at most the longest any input accepts (what it holds was
  stored from an input); a page's items, at most the page size's maximum;
* each create's 201 answer links to the operations that take the record it made
  (``openapi_links``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from csoapi.core.config import Environment, Settings
from csoapi.core.pagination import MAX_LIMIT
from csoapi.core.problems import OAUTH_ERRORS, PROBLEM_MEDIA_TYPE, Problem
from csoapi.core.scopes import ROLE_SCOPES, ClientKind
from csoapi.openapi_links import add_links

PROBLEM_REF = "#/components/schemas/Problem"
INT32 = 2**31 - 1
# JavaScript's safe integers: a bound every JSON reader keeps exactly; no count, amount in
# cents or version this API stores comes near it.
SAFE_INT = 2**53 - 1
TEXT_MAX = 10_000  # core.schemas.Input: str_max_length
LIST_MAX = 10_000
# Length of the longest value of each string format the API reads or writes.
FORMAT_MAX = {
    "uuid": 36,
    "date": 10,
    "date-time": 35,  # 2026-11-24T08:30:00.123456789+14:00
    "time": 18,
    "email": 254,
    "uri": 2048,
    "binary": TEXT_MAX,
    "password": 256,
}
NO_DATABASE = {"/healthz"}
SERVER = {
    "url": "/",
    "description": "The server this document was fetched from (production, staging or a "
    "local test installation: every one serves its own document)",
    "x-internal": False,
}
CONTACT = {"name": "csoapi maintainers", "url": "https://csoapi.dev"}

HEADERS: dict[str, dict[str, Any]] = {
    "Access-Control-Allow-Origin": {
        "description": "Sent to a browser whose `Origin` is one of the installation's "
        "`CSOAPI_CORS_ORIGINS` (absent otherwise: no origin is allowed by default).",
        "schema": {"type": "string", "maxLength": 2048, "format": "uri"},
    },
    "RateLimit": {
        "description": "What is left of this client's quota in the current window "
        '(draft-ietf-httpapi-ratelimit-headers): `"client";r=<requests left>;t=<seconds '
        "until the window resets>`. Counted per client address and server process; absent "
        "when the installation turns the limit off (`CSOAPI_CLIENT_RATE_PER_MINUTE=0`).",
        "schema": {"type": "string", "maxLength": 128, "pattern": '^"client";r=\\d+;t=\\d+$'},
    },
    "RateLimit-Policy": {
        "description": 'The quota: `"client";q=<requests>;w=60` (one-minute windows).',
        "schema": {"type": "string", "maxLength": 128, "pattern": '^"client";q=\\d+;w=60$'},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 86400},
    },
}
REF = "#/components/headers/"
EVERY = {"Access-Control-Allow-Origin": {"$ref": REF + "Access-Control-Allow-Origin"}}
RATE_HEADERS = {name: {"$ref": REF + name} for name in ("RateLimit", "RateLimit-Policy")}
RETRY = {"Retry-After": {"$ref": REF + "Retry-After"}}

STANDARD_ERRORS = {
    "429": "Too many requests from this client (or, on the sign-in and portal lookup routes, "
    "for their own budgets); wait `Retry-After` seconds. `code` is `rate_limited`.",
    "415": "The body's Content-Type is not one this operation reads (application/json; the "
    "token and revoke endpoints: application/x-www-form-urlencoded). "
    "`code` is `unsupported_media_type`.",
    "500": "The server failed; the request id (`X-Request-ID`) is in its log. "
    "`code` is `internal_error`.",
    "503": "The database is busy or unreachable, the server is at capacity, or the audit "
    "trail could not record the request (nothing was done); retry after `Retry-After` "
    "seconds. `code` is `database_unavailable`, `server_busy` or `audit_unavailable`.",
}


OAUTH_400 = (
    "An OAuth 2.0 error (RFC 6749 §5.2): the problem members plus `error` "
    "(`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`)."
)


def render() -> str:
    from csoapi.main import create_app

    # Settings that do not depend on the machine: the document must be identical everywhere.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env=Environment.test,
        jwt_secret="openapi-render-only-" + "x" * 32,  # type: ignore[arg-type]
        database_url="sqlite://",
    )
    app = create_app(settings)
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def install(app: FastAPI) -> None:
    """``app.openapi()`` (and ``/openapi.json``) answer the polished document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if not getattr(app.state, "openapi_polished", False):
            polish(generate())
            app.state.openapi_polished = True
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def polish(doc: dict[str, Any]) -> None:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    # Absent unless the request was invalid (a body never carries `"errors": null`).
    problem["properties"]["errors"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/ValidationItem"},
        "description": "What was wrong with the request, one item per fault (422 only)",
    }
    problem["description"] += (
        " Some codes add members of their own, named in the operation's description "
        "(e.g. `balance_cents` with `overpayment`)."
    )
    schemas["Problem"] = problem
    components["headers"] = {**components.get("headers", {}), **HEADERS}
    doc.setdefault("servers", [SERVER])
    doc["info"].setdefault("contact", CONTACT)
    for path, item in doc.get("paths", {}).items():
        for op in item.values():
            _operation(path, op)
    for item in doc.get("webhooks", {}).values():
        for op in item.values():
            # What the subscriber's server answers is its own: FastAPI's 422 is not ours.
            op.get("responses", {}).pop("422", None)
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'"#/components/schemas/{unused}"' not in json.dumps(doc):
            del schemas[unused]
    # Text no model bounds (responses, mostly) is at most the longest any input accepts.
    # An input's is Input's (10,000): a model a request body uses takes that bound.
    text_max = max([TEXT_MAX, *_declared_lengths(doc)])
    inputs = _request_models(doc)
    for name, schema in schemas.items():
        page = name.startswith("Page_") or name.endswith("Page")
        _bound(schema, page=page, text_max=TEXT_MAX if name in inputs else text_max)
    for item in doc.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", []):
                _bound(param.get("schema", {}), text_max=text_max)
            bodies = [op.get("requestBody", {})] + list(op.get("responses", {}).values())
            for body in bodies:
                for media_type, media in body.get("content", {}).items():
                    if "json" in media_type or "form" in media_type:
                        _bound(media.get("schema", {}), text_max=text_max)
    add_links(doc)


def who_may_call(security: list[dict[str, list[str]]] | None) -> str:
    """The operation's callers, read off its security requirement and the role table
    (``core.scopes``): the sentence every operation's description ends with."""
    if not security:
        return "**Who may call:** anyone; no token is needed."
    wanted = {s for req in security for s in req.get("OAuth2", [])}
    if not wanted:
        return (
            "**Who may call:** no one scope is required of every caller: the operation "
            "decides by the caller's role or client kind and by the record, as described "
            "above. Without a valid token: 401."
        )
    holders = [who for who, scopes in ROLE_SCOPES.items() if wanted <= scopes]
    roles = [f"`{w}`" for w in holders if w not in set(ClientKind)]
    clients = [f"`{w}`" for w in holders if w in set(ClientKind)]
    named = " and ".join(f"`{s}`" for s in sorted(wanted))
    parts = []
    if roles:
        parts.append(("role " if len(roles) == 1 else "roles ") + ", ".join(roles))
    if clients:
        parts.append(
            ("client kind " if len(clients) == 1 else "client kinds ") + ", ".join(clients)
        )
    return (
        f"**Who may call:** a token with {named}: {'; '.join(parts) or 'no role holds it'}. "
        "Others get 403 (401 without a valid token)."
    )


def _operation(path: str, op: dict[str, Any]) -> None:
    who = who_may_call(op.get("security"))
    op["description"] = f"{op['description']}\n\n{who}" if op.get("description") else who
    for param in op.get("parameters", []):
        param["schema"] = _not_null(param.get("schema", {}))
    responses = op.setdefault("responses", {})
    extra = ["429", "500"] + ([] if path in NO_DATABASE else ["503"])
    oauth = op.get(OAUTH_ERRORS)
    if oauth:
        # core.problems.oauth_error: a request that is not well formed is a 400 here.
        responses.pop("422", None)
        responses["400"]["description"] = OAUTH_400
    elif "requestBody" in op:
        extra.append("415")
    for status in extra:
        responses.setdefault(status, {"description": STANDARD_ERRORS[status]})
    for status, resp in responses.items():
        if status.startswith(("4", "5")) or status == "default":
            schema = next(
                (m["schema"] for m in resp.get("content", {}).values() if m.get("schema")),
                {"$ref": PROBLEM_REF},
            )
            if schema.get("$ref") == "#/components/schemas/HTTPValidationError":
                schema = {"$ref": PROBLEM_REF}
            resp["content"] = {PROBLEM_MEDIA_TYPE: {"schema": schema}}
        if status in ("429", "503"):
            resp.setdefault("headers", {}).update(RETRY)
        if status.startswith(("2", "4")):
            resp.setdefault("headers", {}).update(RATE_HEADERS)
        resp.setdefault("headers", {}).update(EVERY)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, {type: null}]`` → X (``anyOf`` of the rest when several), keeping the
    outer keywords (title, description...)."""
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [o for o in options if o.get("type") != "null"]
    if len(kept) == len(options):
        return schema
    outer = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **outer} if len(kept) == 1 else {"anyOf": kept, **outer}


def _request_models(doc: dict[str, Any]) -> set[str]:
    """The component schemas a request body refers to, directly or through others."""
    prefix = "#/components/schemas/"
    schemas = doc.get("components", {}).get("schemas", {})
    pending = [op.get("requestBody", {}) for item in doc["paths"].values() for op in item.values()]
    found: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith(prefix) and ref[len(prefix) :] not in found:
                found.add(ref[len(prefix) :])
                pending.append(schemas.get(ref[len(prefix) :], {}))
            pending.extend(v for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _declared_lengths(node: Any) -> list[int]:
    out: list[int] = []
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if isinstance(item.get("maxLength"), int) and item.get("type") == "string":
                out.append(item["maxLength"])
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return out


def _bound(schema: Any, *, page: bool = False, text_max: int = TEXT_MAX) -> None:
    """Writes the bound the code keeps into every string, array and integer schema that
    declares none (recursively); a page's ``items`` holds at most ``MAX_LIMIT``."""
    if isinstance(schema, list):
        for item in schema:
            _bound(item, text_max=text_max)
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind == "string" and not {"maxLength", "enum", "const"} & schema.keys():
        schema["maxLength"] = FORMAT_MAX.get(schema.get("format", ""), text_max)
    elif kind == "integer":
        schema.setdefault("minimum", -SAFE_INT)
        schema.setdefault("maximum", SAFE_INT)
        if "format" not in schema:
            fits = schema["minimum"] >= -INT32 - 1 and schema["maximum"] <= INT32
            schema["format"] = "int32" if fits else "int64"
    elif kind == "array":
        schema.setdefault("maxItems", LIST_MAX)
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            for name, prop in value.items():
                if page and name == "items" and prop.get("type") == "array":
                    prop.setdefault("maxItems", MAX_LIMIT)
                _bound(prop, text_max=text_max)
        elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties", "not"):
            _bound(value, text_max=text_max)
