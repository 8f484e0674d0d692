"""A webhook receiver for the integration benchmark: answers every POST with 204 (served by
uvicorn in a process of its own, so that the receiver is not what is measured)."""

from __future__ import annotations


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
