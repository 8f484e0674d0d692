from __future__ import annotations

from typing import Any

from tests.factories import everyone

PERMITS = "/api/v1/permits"
ZONES = f"{PERMITS}/zones"


def permit_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "residential",
        "zone": "A",
        "plate": "7abc123",
        "plate_state": "ca",
        "holder": {"name": "Dana Resident", "address": "1426 Harridge Dr", "phone": "916-555-0100"},
        "valid_from": "2026-03-01",
        "valid_to": "2026-03-08",
    }
    body.update(overrides)
    return body


async def open_zone(client, headers, code: str = "A") -> dict[str, Any]:
    r = await client.post(ZONES, json={"code": code, "name": f"Zone {code}"}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def issue(client, headers, **overrides: Any) -> dict[str, Any]:
    r = await client.post(PERMITS, json=permit_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def staff(db, settings):
    return everyone(db, settings)
