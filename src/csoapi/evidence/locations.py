"""Storage locations: rooms, shelves in rooms, bins on shelves. A room is for evidence or for
property (found and safekeeping items); a shelf or bin is what its room is, so the two are
never mixed (IAPE: found and safekeeping property stored apart from evidence)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Unprocessable
from csoapi.core.mutation import Changes, Entity
from csoapi.evidence.models import EvidenceLocation
from csoapi.evidence.repository import ItemRepository, LocationRepository
from csoapi.evidence.schemas import LocationCreate, LocationRead, LocationUpdate

PARENT_LEVEL = {"room": None, "shelf": "room", "bin": "shelf"}
PURPOSE_OF_KIND = {"evidence": "evidence", "found_property": "property", "safekeeping": "property"}
LOCATION: Entity[EvidenceLocation] = Entity("evidence_location")


class LocationService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = LocationRepository(session)
        self.changes = Changes(
            session, ctx, LOCATION, lock=lambda key: self.repo.get_or_404(key, for_update=True)
        )

    def get(self, location_id: uuid.UUID) -> EvidenceLocation:
        return self.repo.get_or_404(location_id)

    def view(self, loc: EvidenceLocation) -> LocationRead:
        path = [p.code for p in self.repo.path(loc)]
        fields = {f: getattr(loc, f) for f in LocationRead.model_fields if f != "path"}
        return LocationRead.model_validate(fields | {"path": path})

    def page(
        self, *, parent_id: uuid.UUID | None, level: str | None, limit: int, cursor: str | None
    ):
        rows, nxt = self.repo.page(parent_id=parent_id, level=level, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "evidence_location.list",
            entity_type="evidence_location",
            filters={"parent_id": parent_id, "level": level, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    def create(self, data: LocationCreate) -> EvidenceLocation:
        purpose = self._placement(data)
        if self.repo.by_code(data.code) is not None:
            raise Conflict(f"Location code {data.code} is taken", code="location_code_taken")
        loc = self.repo.add(
            EvidenceLocation(
                code=data.code,
                name=data.name,
                level=data.level,
                parent_id=data.parent_id,
                purpose=purpose,
                high_security=data.high_security,
            )
        )
        audit.record(
            self.session,
            self.ctx,
            "evidence_location.create",
            entity_type="evidence_location",
            entity_id=loc.id,
            detail={"code": loc.code, "level": loc.level, "purpose": loc.purpose},
        )
        return loc

    def _placement(self, data: LocationCreate) -> str:
        """The new location's purpose: a room's own, or its parent's (which must be of the
        level above)."""
        wanted = PARENT_LEVEL[data.level]
        if wanted is None:
            if data.parent_id is not None:
                raise Unprocessable("A room has no parent", code="bad_parent", field="parent_id")
            if data.purpose is None:
                raise Unprocessable(
                    "A room is for evidence or for property",
                    code="purpose_required",
                    field="purpose",
                )
            return data.purpose
        if data.parent_id is None:
            raise Unprocessable(
                f"A {data.level} is in a {wanted}", code="bad_parent", field="parent_id"
            )
        parent = self.repo.find(data.parent_id)
        if parent is None or parent.level != wanted:
            raise Unprocessable(
                f"A {data.level} is in a {wanted}", code="bad_parent", field="parent_id"
            )
        if data.purpose is not None and data.purpose != parent.purpose:
            raise Conflict(
                f"This {wanted} is for {parent.purpose}: evidence and property are kept apart",
                code="location_purpose_mismatch",
            )
        return parent.purpose

    def update(self, location_id: uuid.UUID, data: LocationUpdate, if_match: str | None):
        change = self.changes.begin(location_id, if_match, required=True)
        fields: dict[str, Any] = {
            k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None
        }
        if fields.get("active") is False and ItemRepository(self.session).count_at(location_id):
            raise Conflict("Items are stored here; move them first", code="location_in_use")
        for key, value in fields.items():
            setattr(change.row, key, value)
        return change.done("evidence_location.update", detail={"fields": sorted(fields)})

    def storable(self, location_id: uuid.UUID, kind: str, field: str) -> EvidenceLocation:
        """The location an item of ``kind`` may be put in, or the refusal: unknown (422),
        retired, or of the other purpose (409, IAPE)."""
        loc = self.repo.find(location_id)
        if loc is None:
            raise Unprocessable(f"{field} names no location", code="unknown_location", field=field)
        if not loc.active:
            raise Conflict(f"Location {loc.code} is retired", code="location_inactive")
        if loc.purpose != PURPOSE_OF_KIND[kind]:
            raise Conflict(
                f"Location {loc.code} is for {loc.purpose}; {kind.replace('_', ' ')} is kept "
                "apart from it (IAPE)",
                code="location_purpose_mismatch",
            )
        return loc
