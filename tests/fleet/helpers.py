"""Bodies and calls the fleet tests share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

URL = "/api/v1/fleet"


def today(settings: Any) -> date:
    return datetime.now(settings.tz).date()


def day(settings: Any, offset: int) -> str:
    return (today(settings) + timedelta(days=offset)).isoformat()


def vehicle(**overrides: Any) -> dict[str, Any]:
    b = {
        "kind": "vehicle",
        "unit_number": "CSO-12",
        "name": "CSO truck 12",
        "category": "patrol_vehicle",
        "make": "Ford",
        "model": "F-150",
        "year": 2022,
        "vin": "1FTFW1E50NFA00001",
        "plate": "1ABC234",
        "plate_state": "CA",
        "odometer": 41200,
    }
    return b | overrides


def equipment(**overrides: Any) -> dict[str, Any]:
    b = {
        "kind": "equipment",
        "unit_number": "RT-2",
        "name": "Radar trailer 2",
        "category": "radar_trailer",
        "serial_number": "SMR-88812",
    }
    return b | overrides


async def add(client: Any, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(URL, json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()
