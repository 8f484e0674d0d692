from __future__ import annotations

from typing import Any

CALLS = "/api/v1/calls"


def call_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "phone",
        "call_type": "PARKING",
        "location": {"address": "1200 Third Ave", "beat": "521", "lat": 32.72, "lon": -117.16},
        "caller": {"name": "Pat Caller", "phone": "619-555-0100"},
        "description": "Car blocking driveway",
    }
    body.update(overrides)
    return body


async def create_call(client, headers, **overrides: Any) -> dict[str, Any]:
    r = await client.post(CALLS, json=call_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def act(
    client,
    headers,
    call: dict[str, Any],
    action: str,
    body: dict | None = None,
    if_match: str | None = None,
):
    h = dict(headers)
    if if_match:
        h["If-Match"] = if_match
    return await client.post(f"{CALLS}/{call['id']}/{action}", json=body or {}, headers=h)


async def to_state(client, sergeant, unit_id: str, state: str) -> dict[str, Any]:
    """A call brought to ``state`` by a sergeant (who may do every step)."""
    call = await create_call(client, sergeant)
    steps = {
        "received": [],
        "dispatched": [("assign", {"assigned_to": unit_id})],
        "en_route": [("assign", {"assigned_to": unit_id}), ("status", {"status": "en_route"})],
        "on_scene": [
            ("assign", {"assigned_to": unit_id}),
            ("status", {"status": "en_route"}),
            ("status", {"status": "on_scene"}),
        ],
        "cleared": [
            ("assign", {"assigned_to": unit_id}),
            ("status", {"status": "en_route"}),
            ("status", {"status": "on_scene"}),
            ("status", {"status": "cleared", "disposition": "HANDLED"}),
        ],
        "cancelled": [("status", {"status": "cancelled"})],
        "escalated": [("escalate", {"reason": "Suspect armed"})],
    }[state]
    for action, body in steps:
        r = await act(client, sergeant, call, action, body)
        assert r.status_code == 200, r.text
        call = r.json()
    assert call["status"] == state
    return call
