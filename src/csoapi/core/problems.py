"""The one error mapper: domain errors (``core.errors``) and framework and driver errors
become RFC 9457 problem+json, and ``error_responses`` documents them in OpenAPI.

Every 4xx/5xx body has ``type``, ``title``, ``status``, ``detail``, ``instance`` and
``code``; validation errors add ``errors: [{loc, msg, type}]``. No body ever carries a
stack trace, SQL, or a secret.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from csoapi.core.audit import AuditEvent
from csoapi.core.driver_errors import (
    failed_writing,
    not_storable,
    refused_before_sending,
    transient,
)
from csoapi.core.errors import DomainError
from csoapi.core.idempotency import IdempotentReplay
from csoapi.core.unit import record_refused_request

PROBLEM_MEDIA_TYPE = "application/problem+json"
# A route marked so (``openapi_extra``) is an OAuth 2.0 endpoint: its errors are also RFC 6749
# §5.2 error responses (``oauth_error``).
OAUTH_ERRORS = "x-oauth2-error-responses"
PROBLEMS_PATH = "/problems/"  # where the app serves a page per code (csoapi.problem_pages)
log = structlog.get_logger("csoapi.errors")


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem detail, as every error response of this API carries it."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    errors: list[ValidationItem] | None = None


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    status, code = oauth_error(request, status, code, extra)
    body: dict[str, Any] = {
        "type": problem_type(request, code),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path if request is not None else "",
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    out_headers = dict(headers or {})
    if request is not None:
        rid = request.scope.get("state", {}).get("request_id")
        if rid:
            out_headers["X-Request-ID"] = rid
    return JSONResponse(
        body, status_code=status, headers=out_headers, media_type=PROBLEM_MEDIA_TYPE
    )


def oauth_error(
    request: Request | None, status: int, code: str, extra: dict[str, Any]
) -> tuple[int, str]:
    """On an OAuth endpoint (RFC 6749 §5.2, RFC 7009 §2.2.1), a problem is an OAuth error
    response too: an ``error`` member (kept when the raise named one) and status 400 for a
    request that is not well formed (validation, media type), which becomes
    ``invalid_request``. Elsewhere: unchanged."""
    route = request.scope.get("route") if request is not None else None
    if not (getattr(route, "openapi_extra", None) or {}).get(OAUTH_ERRORS):
        return status, code
    if status in (415, 422) and "error" not in extra:
        status, code = 400, "invalid_request"
    if status in (400, 401) and "error" not in extra:
        extra["error"] = "invalid_client" if status == 401 else "invalid_request"
    return status, code


def problem_type(request: Request | None, code: str) -> str:
    """The problem's ``type`` URI: ``CSOAPI_PROBLEM_BASE_URL`` + code, or by default this
    server's own page for the code (``GET /problems/{code}``), absolute from the request."""
    if request is None:
        return PROBLEMS_PATH + code
    app = request.scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    base = getattr(settings, "problem_base_url", "")
    if not base:
        base = str(request.base_url).rstrip("/") + PROBLEMS_PATH
    return base + code


def internal_error_response(request: Request | None) -> JSONResponse:
    return problem_response(
        request,
        500,
        "internal_error",
        "The server failed to handle this request; it has been logged with its request id.",
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    items = []
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        msg = str(err.get("msg", "invalid"))
        items.append({"loc": loc, "msg": msg, "type": str(err.get("type", "value_error"))})
    return items


async def _domain_handler(request: Request, exc: DomainError) -> JSONResponse:
    extra = dict(exc.extra)
    if exc.status == 422 and "errors" not in extra:
        # Every 422 lists what was wrong in errors[] (as request validation does), so a
        # client reads one shape; `field`, where a rule names one, stays for older readers.
        field = extra.get("field")
        where = "query" if request.method in ("GET", "HEAD", "DELETE") else "body"
        loc = [where, *str(field).split(".")] if field else [where]
        extra["errors"] = [{"loc": loc, "msg": exc.detail, "type": exc.code}]
    return problem_response(
        request, exc.status, exc.code, exc.detail, title=exc.title, headers=exc.headers, **extra
    )


async def _audit_refusal(
    request: Request, status: int, code: str, items: list[dict[str, Any]]
) -> None:
    """Request validation fails before a route's work (and its transaction) begins, so its
    refusal row gets a transaction of its own (``unit.record_refused_request``)."""
    fields = [".".join(str(p) for p in i["loc"]) for i in items]
    await record_refused_request(request, status, code, fields)


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    items = _validation_items(exc)
    # A missing If-Match is a 428, but only when it is all that is wrong: an invalid request
    # is a 422 whatever its preconditions (so is one that brings a stale ETag: the 412 is
    # decided after validation).
    if items and all(i["loc"] == ["header", "If-Match"] and i["type"] == "missing" for i in items):
        await _audit_refusal(request, 428, "if_match_required", [])
        return problem_response(
            request,
            428,
            "if_match_required",
            "This change needs an If-Match header with the resource's ETag",
            title="Precondition required",
        )
    first = items[0] if items else None
    detail = (
        f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else "Invalid request"
    )
    if first and first["type"] == "json_invalid":
        # pydantic says "body.21: JSON decode error": 21 is the character where decoding
        # stopped, not a field.
        at = first["loc"][1] if len(first["loc"]) > 1 else "?"
        detail = f"body: not valid JSON (decoding stopped at character {at})"
        first["loc"], first["msg"] = ["body"], f"Not valid JSON (stopped at character {at})"
    if len(items) > 1:
        detail += f" (and {len(items) - 1} more)"
    await _audit_refusal(request, 422, "validation_error", items)
    return problem_response(
        request, 422, "validation_error", detail, title="Validation failed", errors=items
    )


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    if status == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's word for a body it could not decode; to a client it is invalid input.
        item = {"loc": ["body"], "msg": "The body could not be parsed", "type": "body_unparseable"}
        await _audit_refusal(request, 422, "validation_error", [item])
        return problem_response(
            request,
            422,
            "validation_error",
            "body: the body could not be parsed",
            title="Validation failed",
            errors=[item],
        )
    code = _HTTP_CODES.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).description
    if status == 404 and detail == "Not Found":
        detail = "No resource at this path"
    headers = dict(getattr(exc, "headers", None) or {})
    if status == 405:
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on this path"
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = allowed
    return problem_response(request, status, code, detail, headers=headers)


def _allowed_methods(request: Request) -> str | None:
    """Every method the path supports (Starlette names only the first route that matched)."""
    index = getattr(request.app.state, "allow_index", None)
    if index is None:
        index = []
        for template, item in request.app.openapi().get("paths", {}).items():
            regex = re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)))
            index.append((regex, sorted(m.upper() for m in item)))
        request.app.state.allow_index = index
    for regex, methods in index:
        if regex.fullmatch(request.url.path):
            return ", ".join(methods)
    return None


async def _integrity_handler(request: Request, exc: IntegrityError) -> JSONResponse:
    if failed_writing(exc, AUDIT_TABLE):
        return _audit_unavailable(request, exc)
    # A constraint the service did not pre-check (a race between two writers). Say what
    # happened without SQL; the full error goes to the log with the request id.
    log.warning("integrity_error", error=str(exc.orig).splitlines()[0][:200])
    return problem_response(
        request,
        409,
        "conflict",
        "The change conflicts with data written at the same time; read the resource and retry.",
    )


AUDIT_TABLE = AuditEvent.__tablename__
# How long a client should wait after an audit write failed: the trail is not a passing
# fault (it needs an operator), so a retry every second would only add failing writes.
AUDIT_RETRY_AFTER = "30"


def _audit_unavailable(request: Request, exc: DBAPIError) -> JSONResponse:
    """The audit trail refused this change's row, so the whole change was rolled back (the
    row goes in the change's own transaction): no unaudited work is done. A 503, since it
    is the service that cannot act now, not the request that is wrong; logged as an error
    for whoever watches the trail (the failure of audit processing must be noticed: NIST SP
    800-53 AU-5, which the CJIS Security Policy takes up)."""
    first = str(exc.orig).splitlines()[0][:200] if str(exc.orig) else type(exc.orig).__name__
    log.error("audit_write_failed", sqlstate=getattr(exc.orig, "sqlstate", None), error=first)
    return problem_response(
        request,
        503,
        "audit_unavailable",
        "The audit trail could not record this request, so nothing was done; retry later.",
        headers={"Retry-After": AUDIT_RETRY_AFTER},
    )


def without_the_value(exc: DBAPIError) -> str:
    """The driver's word for a value it could not store, for the log, without the value
    (a request's: personal data, a secret). The server's message names only the type
    ("value too long for type character varying(2)"); asyncpg's own, refusing before it
    sends, quotes the value ("invalid input for query argument $1: 70000 (value out of
    int16 range)"), so of that only the argument is kept."""
    first = (str(exc.orig).splitlines() or [""])[0][:200]
    if not refused_before_sending(exc):
        return first
    named = re.match(r"invalid input for query argument \$\d+", first)
    return named.group(0) if named else type(exc.orig).__name__


async def _db_handler(request: Request, exc: DBAPIError) -> JSONResponse:
    if failed_writing(exc, AUDIT_TABLE):
        return _audit_unavailable(request, exc)
    if not_storable(exc):
        log.warning("value_not_storable", error=without_the_value(exc))
        return problem_response(
            request,
            422,
            "value_not_storable",
            "A value in the request is too long or too large to be stored.",
        )
    if transient(exc):
        log.error("database_unavailable", error=type(exc.orig).__name__)
        return problem_response(
            request,
            503,
            "database_unavailable",
            "The database is busy or unreachable; retry shortly.",
            headers={"Retry-After": "1"},
        )
    log.exception("database_error")
    return internal_error_response(request)


async def _pool_handler(request: Request, exc: PoolTimeout) -> JSONResponse:
    """Every database connection of this process stayed busy for the pool's whole timeout."""
    log.error("database_pool_exhausted")
    return problem_response(
        request,
        503,
        "server_busy",
        "The server is at capacity; retry shortly.",
        headers={"Retry-After": "1"},
    )


async def _replay_handler(request: Request, exc: Exception) -> Response:
    headers = dict(getattr(exc, "headers", {}))
    headers["Idempotent-Replayed"] = "true"
    media_type = headers.pop("content-type", "application/json")
    return Response(
        getattr(exc, "body", ""),
        status_code=getattr(exc, "status_code", 200),
        headers=headers,
        media_type=media_type,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, _replay_handler)
    app.add_exception_handler(DomainError, _domain_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _integrity_handler)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _db_handler)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _pool_handler)  # type: ignore[arg-type]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route: each listed status as a problem+json body."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(set(statuses)):
        out[status] = {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
    return out
