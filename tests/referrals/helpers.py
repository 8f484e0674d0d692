"""Arrangements for referral tests: a directory with two organizations, their provider
systems, staff, and bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.directory.helpers import Directory
from tests.factories import bearer, create_client, headers_for, token_for

PERSON_NAME = "Zebulon Quartermaine"


def consent(org_id: str, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "type": "verbal",
        "purpose": "Connect with shelter and follow up",
        "recipients": [org_id],
        "at": (now - timedelta(minutes=5)).isoformat(),
        "expires_at": (now + timedelta(days=30)).isoformat(),
        **extra,
    }


def referral_body(service_id: str, org_id: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": {"name": PERSON_NAME, "date_of_birth": "1961-04-02", "contact": "555-0142"},
        "needs": ["shelter"],
        "service_id": service_id,
        "narrative": f"{PERSON_NAME} sleeps by the library; wants a bed tonight",
    }
    if org_id is not None:
        body["consent"] = consent(org_id)
    return body | extra


@dataclass
class World:
    client: Any
    cso: dict[str, str]
    sergeant: dict[str, str]
    org: dict[str, Any]
    other_org: dict[str, Any]
    service: dict[str, Any]
    other_service: dict[str, Any]
    provider: dict[str, str]
    other_provider: dict[str, str]

    async def refer(self, *, send: bool = True, **extra: Any) -> dict[str, Any]:
        body = referral_body(self.service["id"], self.org["id"]) | extra
        if send:
            body.setdefault("status", "requested")
        r = await self.client.post("/api/v1/referrals", json=body, headers=self.cso)
        assert r.status_code == 201, r.text
        return r.json()

    async def status(self, referral: dict, headers: dict, **body: Any):
        return await self.client.post(
            f"/api/v1/referrals/{referral['id']}/status", json=body, headers=headers
        )


async def world(client, db, settings) -> World:
    d = Directory(client, db, settings)
    org, other = await d.org("Harbor Outreach"), await d.org("Cedar House")
    service = await d.service(org["id"], "Night shelter")
    other_service = await d.service(other["id"], "Cedar beds")
    p1, _ = create_client(db, settings, "provider", organization_id=org["id"])
    p2, _ = create_client(db, settings, "provider", organization_id=other["id"])
    return World(
        client=client,
        cso=headers_for(db, settings, "cso"),
        sergeant=headers_for(db, settings, "sergeant"),
        org=org,
        other_org=other,
        service=service,
        other_service=other_service,
        provider=bearer(token_for(db, settings, p1)),
        other_provider=bearer(token_for(db, settings, p2)),
    )
