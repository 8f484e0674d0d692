"""Bodies and arrangements for the service directory's tests."""

from __future__ import annotations

from typing import Any

from tests.factories import headers_for


def org_body(name: str = "Harbor Outreach", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": f"{name} helps people find a way", **extra}


def location(
    lat: float = 37.7749, lon: float = -122.4194, *, postal_code: str = "94103", **extra: Any
) -> dict[str, Any]:
    return {
        "name": "Drop-in centre",
        "latitude": lat,
        "longitude": lon,
        "addresses": [
            {
                "address_1": "100 Mission St",
                "city": "San Francisco",
                "state_province": "CA",
                "postal_code": postal_code,
                "country": "US",
            }
        ],
        "phones": [{"number": "415-555-0100", "type": "voice"}],
        **extra,
    }


WEEKDAYS_9_TO_5 = [
    {"byday": ["MO", "TU", "WE", "TH", "FR"], "opens_at": "09:00:00", "closes_at": "17:00:00"}
]


def service_body(org_id: str, name: str = "Night shelter", **extra: Any) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "name": name,
        "description": f"{name}: beds and a meal",
        "categories": ["shelter"],
        "eligibility_description": "Adults",
        "minimum_age": 18,
        "languages": [{"name": "Spanish", "code": "es"}],
        "schedules": WEEKDAYS_9_TO_5,
        "locations": [location()],
        **extra,
    }


class Directory:
    """An admin keeping the directory over HTTP."""

    def __init__(self, client: Any, db: Any, settings: Any) -> None:
        self.client = client
        self.admin = headers_for(db, settings, "admin")

    async def org(self, name: str = "Harbor Outreach", **extra: Any) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/organizations", json=org_body(name, **extra), headers=self.admin
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def service(self, org_id: str, name: str = "Night shelter", **extra: Any) -> dict:
        r = await self.client.post(
            "/api/v1/services", json=service_body(org_id, name, **extra), headers=self.admin
        )
        assert r.status_code == 201, r.text
        return r.json()
