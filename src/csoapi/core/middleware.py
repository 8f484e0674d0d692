"""Pure ASGI middleware: request id in and out, the body read whole (1 MiB, within a time
limit) before admission, no NUL in the path or query, one access-log line, the last-resort
500 (a problem body that says nothing internal), and admission control."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
import weakref
from typing import Any

import anyio
import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csoapi.core.metrics import RequestMetrics
from csoapi.core.problems import internal_error_response, problem_response
from csoapi.core.schemas import NUL_MESSAGE

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
log = structlog.get_logger("csoapi.access")


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        body_timeout_seconds: float,
        metrics: RequestMetrics | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        request = Request(scope)
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500, "started": False}

        body = await self._admissible_body(request, headers, receive, send, status_holder)
        if body is None:  # refused (or the client went away): answered and logged
            self._log(scope, status_holder, started)
            return

        pending: Message | None = body

        async def replay_receive() -> Message:
            # The body once, as it arrived; then the client's own stream (disconnects).
            nonlocal pending
            if pending is None:
                return await receive()
            message, pending = pending, None
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                raw = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in raw):
                    raw.append((b"x-request-id", request_id.encode()))
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, replay_receive, send_with_id)
        except Exception:
            log.exception("unhandled_error", path=_route_path(scope))
            if not status_holder["started"]:
                response = internal_error_response(request)
                status_holder["status"] = 500
                await response(scope, receive, send)
        finally:
            self._log(scope, status_holder, started)
            structlog.contextvars.unbind_contextvars("request_id")

    async def _admissible_body(
        self,
        request: Request,
        headers: dict[bytes, bytes],
        receive: Receive,
        send: Send,
        holder: dict[str, Any],
    ) -> Message | None:
        """The request's whole body, or None once the request has been refused here: a
        declared or read body over the limit (413), NUL in the path or query (422), a body
        not complete in time (408), or a client gone mid-body (nobody to answer)."""
        declared = headers.get(b"content-length")
        try:
            too_big = declared is not None and int(declared) > self.max_body_bytes
        except ValueError:
            too_big = False
        if too_big:
            await self._send_413(request, send, holder)
            return None
        scope = request.scope
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await self._send_nul(request, send, holder)
            return None
        body = await _read_body(receive, self.max_body_bytes, self.body_timeout_seconds)
        if body is None:
            holder["status"] = 499
            return None
        if isinstance(body, int):
            await self._send_body_refusal(request, send, holder, body)
            return None
        return body

    async def _send_body_refusal(
        self, request: Request, send: Send, holder: dict[str, Any], status: int
    ) -> None:
        if status == 413:
            await self._send_413(request, send, holder)
            return
        holder["status"] = 408
        response = problem_response(
            request,
            408,
            "request_timeout",
            f"The request body did not arrive within {self.body_timeout_seconds:g} s",
            headers={"Connection": "close"},
        )
        await response(request.scope, _empty_receive, send)

    async def _send_413(self, request: Request, send: Send, holder: dict[str, Any]) -> None:
        holder["status"] = 413
        response = problem_response(
            request,
            413,
            "payload_too_large",
            f"Request bodies are limited to {self.max_body_bytes} bytes",
        )
        await response(request.scope, _empty_receive, send)

    async def _send_nul(self, request: Request, send: Send, holder: dict[str, Any]) -> None:
        # PostgreSQL's text cannot hold U+0000, and no value we take has a use for it: refused
        # here for every path and query parameter at once (bodies: core.schemas.NoNul).
        holder["status"] = 422
        where = "path" if "\x00" in request.scope.get("path", "") else "query"
        response = problem_response(
            request,
            422,
            "validation_error",
            f"{where}: {NUL_MESSAGE}",
            title="Validation failed",
            errors=[{"loc": [where], "msg": NUL_MESSAGE, "type": "value_error"}],
        )
        await response(request.scope, _empty_receive, send)

    def _log(self, scope: Scope, holder: dict[str, Any], started: float) -> None:
        seconds = time.perf_counter() - started
        route, method = _route_path(scope), str(scope.get("method"))
        log.info(
            "request",
            method=method,
            route=route,
            status=holder["status"],
            ms=round(seconds * 1000, 2),
        )
        if self.metrics is not None:
            self.metrics.observe(route, method, holder["status"], seconds)


def _route_path(scope: Scope) -> str:
    # The route template, not the raw path: paths can carry plates or names.
    route = scope.get("route")
    return getattr(route, "path", None) or "<unmatched>"


async def _read_body(receive: Receive, limit: int, timeout: float) -> Message | int | None:
    """The whole request body as one ``http.request`` message, read before the request is
    admitted (``AdmissionMiddleware`` sits inside this one): a client sending its body slowly
    holds a connection and at most ``limit`` bytes, never one of the process's few slots. 413
    past ``limit``; 408 when the body is not complete within ``timeout`` seconds of the
    request's start; ``None`` when the client went away before finishing it."""
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(timeout):
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return 413
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
    return 408


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


class AdmissionMiddleware:
    """At most ``limit`` requests of this process are inside the application at once; the
    rest wait here, holding nothing, for up to ``wait_seconds`` (then 503 + Retry-After).

    Each request holds one pooled database connection for its unit of work. Past a few in
    flight, requests only take turns on the process's one core and interpreter lock while
    each keeps its connection (and any row lock it took); with ``limit`` no larger than the
    pool, a connection is always free for an admitted request. Bodies are read before this
    point (``RequestContextMiddleware``), so a slow sender holds no slot. ``/healthz`` (no
    database) is never held back, so a busy process still reports itself alive."""

    def __init__(self, app: ASGIApp, limit: int, wait_seconds: float) -> None:
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        # An asyncio semaphore belongs to the loop it first waits on: one per serving loop
        # (a server has one; an app driven from several loops in turn must not share one).
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._slots = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/healthz":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(slots.acquire(), self.wait_seconds)
        except TimeoutError:
            response = problem_response(
                Request(scope),
                503,
                "server_busy",
                "The server is at capacity; retry shortly.",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()


RATE_POLICY = "client"


class ClientRateMiddleware:
    """At most ``per_minute`` requests per client address and process in each clock minute
    (a fixed window); past it, 429 with ``Retry-After`` until the next minute begins. Every
    answer carries the IETF draft's headers (draft-ietf-httpapi-ratelimit-headers):
    ``RateLimit-Policy: "client";q=<quota>;w=60`` and ``RateLimit: "client";r=<left>;t=<s>``.

    Kept in memory: each worker process counts for itself (an installation with N workers
    lets a client make up to N × quota), and a restart forgets. The budgets that must hold
    across processes (sign-in failures, the portal lookup) are kept in the database
    (``core.ratelimit``) and answer their own 429. ``per_minute=0`` turns this one off."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.per_minute = per_minute
        self.policy = f'"{RATE_POLICY}";q={per_minute};w=60'.encode()
        self._minute = 0
        self._used: dict[str, int] = {}

    def _spend(self, key: str, now: float) -> tuple[int, int]:
        """(requests left after this one, or -1 when refused; seconds to the next window)"""
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self._used = minute, {}
        used = self._used.get(key, 0) + 1
        self._used[key] = used
        return (self.per_minute - used if used <= self.per_minute else -1), 60 - int(now % 60)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.per_minute:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        left, reset = self._spend(client[0] if client else "", time.time())
        state = f'"{RATE_POLICY}";r={max(left, 0)};t={reset}'.encode()
        if left < 0:
            response = problem_response(
                Request(scope),
                429,
                "rate_limited",
                f"More than {self.per_minute} requests this minute from this address; "
                f"retry in {reset} s.",
                title="Too many requests",
                headers={"Retry-After": str(reset)},
            )
            response.raw_headers += [(b"ratelimit-policy", self.policy), (b"ratelimit", state)]
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"ratelimit-policy", self.policy),
                    (b"ratelimit", state),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# What the documentation pages may load: only this server (their inline bootstrap scripts and
# styles, and the blob: workers ReDoc searches with, included). ReDoc's footer names a logo
# on its vendor's CDN; under this policy the browser never asks for it (ReDoc then leaves
# the image out), so /docs and /redoc make no request off an offline or segmented network.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class PagePolicyMiddleware:
    """A Content-Security-Policy on the browser pages ``paths`` (the API's JSON answers need
    none: a browser renders none of them)."""

    def __init__(self, app: ASGIApp, *, paths: frozenset[str], policy: str = PAGE_POLICY) -> None:
        self.app = app
        self.paths = paths
        self.header = (b"content-security-policy", policy.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_policy)
