from __future__ import annotations

from datetime import date
from typing import Any

from csoapi.violations.schemas import ViolationCreate
from csoapi.violations.service import ViolationService
from tests.factories import ctx

CITATIONS = "/api/v1/citations"


def schedule(
    db,
    settings,
    code: str = "22500E",
    fine_cents: int = 6300,
    tiers: tuple[tuple[int, int], ...] = ((21, 2500), (56, 5000)),
    effective_from: date = date(2020, 1, 1),
):
    row = ViolationService(db, ctx(settings)).create(
        ViolationCreate(
            code=code,
            description=f"Violation {code}",
            fine_cents=fine_cents,
            penalties=[{"after_days": d, "amount_cents": a} for d, a in tiers],
            effective_from=effective_from,
        )
    )
    db.commit()
    return row


def citation_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "plate": "7abc123",
        "plate_state": "ca",
        "vin": "1HGCM82633A004352",
        "vehicle": {"make": "HOND", "body": "PA", "color": "BK"},
        "location": {"address": "1426 HARRIDGE DR", "beat": "521"},
        "violation_code": "22500E",
        "notes": "Owner argued; photo 3",
    }
    body.update(overrides)
    return body
