"""The one rule on who outreach names as its staff: people who exist, are active and work
in the field (CSOs and sergeants)."""

from __future__ import annotations

import uuid

from csoapi.core.errors import Unprocessable
from csoapi.outreach.repository import EventRepository

FIELD_ROLES = ("cso", "sergeant")


def check_field_staff(repo: EventRepository, ids: list[uuid.UUID], field: str) -> None:
    if not ids:
        return
    people = repo.people(ids)
    unknown = [str(u) for u in ids if u not in people or not people[u].active]
    if unknown:
        raise Unprocessable(
            f"{field} names no active user", code="unknown_staff", field=field, ids=unknown
        )
    outside = [str(u) for u in ids if people[u].role not in FIELD_ROLES]
    if outside:
        raise Unprocessable(
            "Outreach is run by CSOs and sergeants",
            code="not_field_staff",
            field=field,
            ids=outside,
        )
