"""A request's body is read whole, within a time limit, before the request is admitted: a
client trickling its body holds its own connection, never one of the process's few slots."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from csoapi.main import create_app
from tests.conftest import make_settings
from tests.probes import close


async def _asgi(app: Any, method: str, path: str, chunks: list[bytes], pause: float, length: int):
    """Drive ``app`` as a server would for one request whose body arrives in ``chunks``, one
    every ``pause`` seconds (declaring ``length`` bytes); return (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"t"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("t", 80),
        "state": {},
    }
    queue = list(chunks)
    done = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if queue:
            await asyncio.sleep(pause)
            chunk = queue.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(queue)}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def test_slow_bodies_hold_no_admission_slot(database):
    settings = make_settings(database.url).model_copy(
        update={"max_in_flight": 1, "admission_wait_seconds": 1.0, "body_timeout_seconds": 1.5}
    )
    app = create_app(settings)
    try:
        # Four clients declare 100,000 bytes on the token endpoint and send a byte at a time.
        trickles = [
            asyncio.create_task(_asgi(app, "POST", "/api/v1/auth/token", [b"g"] * 50, 0.2, 100_000))
            for _ in range(4)
        ]
        await asyncio.sleep(0.1)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            loop = asyncio.get_running_loop()
            started = loop.time()
            ready = await c.get("/readyz")
            assert ready.status_code == 200, ready.text  # not 503 server_busy
            assert loop.time() - started < 1.0
        for status, body in await asyncio.gather(*trickles):
            assert status == 408
            problem = json.loads(body)
            assert problem["code"] == "request_timeout" and problem["status"] == 408
    finally:
        await close(app)


async def test_a_body_in_slow_chunks_within_the_limit_is_served(database):
    settings = make_settings(database.url).model_copy(update={"body_timeout_seconds": 5.0})
    app = create_app(settings)
    # A grant this API does not know: judged whole, refused without touching the database
    # (this app commits for real, so the test leaves no row behind).
    form = b"grant_type=telepathy&username=nobody&password=wrong-password"
    chunks = [form[i : i + 10] for i in range(0, len(form), 10)]
    try:
        status, body = await _asgi(app, "POST", "/api/v1/auth/token", chunks, 0.05, len(form))
    finally:
        await close(app)
    assert status == 400, body  # the whole form arrived and was judged: an unknown grant
    assert b"unsupported_grant_type" in body
