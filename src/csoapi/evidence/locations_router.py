"""/api/v1/evidence/locations — the property room's storage: rooms, shelves, bins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.evidence.locations import LocationService
from csoapi.evidence.schemas import Level, LocationCreate, LocationRead, LocationUpdate

router = APIRouter(prefix="/evidence/locations", tags=["evidence"])
Reader = carrier(LocationService, "evidence:read")
# The property room's staff (records: evidence:dispose) lay out and retire storage.
Keeper = carrier(LocationService, "evidence:dispose")
Builder = carrier(LocationService, "evidence:dispose", idempotency="optional")


def _one(svc: LocationService, loc) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.view(loc), version=loc.version)


@router.get(
    "",
    operation_id="evidence_locations_list",
    description="Storage locations by code, keyset-paged; `parent_id` lists a room's shelves or "
    "a shelf's bins.",
    summary="Storage locations by code; `parent_id` lists a room's shelves or a shelf's bins",
    response_model=Page[LocationRead],
    responses=error_responses(401, 403, 422),
)
async def list_locations(
    unit: Reader,
    parent_id: Annotated[uuid.UUID | None, Query()] = None,
    level: Annotated[Level | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: LocationService) -> Page[LocationRead]:
        rows, nxt = svc.page(parent_id=parent_id, level=level, limit=limit, cursor=cursor)
        return Page[LocationRead](items=[svc.view(r) for r in rows], next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "",
    operation_id="evidence_locations_create",
    description="Adds a room (for evidence or for property: 422 `purpose_required`; the two are "
    "kept apart, 409 `location_purpose_mismatch`), a shelf in a room or a bin on a "
    "shelf. Codes are unique (409 `location_code_taken`).",
    summary="Add a room (for evidence or for property), a shelf in a room or a bin on a shelf",
    status_code=201,
    response_model=LocationRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_location(body: LocationCreate, unit: Builder) -> Response:
    def work(svc: LocationService) -> Reply:
        loc = svc.create(body)
        return created(
            svc.view(loc), location=f"/api/v1/evidence/locations/{loc.id}", version=loc.version
        )

    return await unit.run(work)


@router.get(
    "/{location_id:uuid}",
    operation_id="evidence_locations_get",
    description="One storage location with its path from the room.",
    summary="One storage location with its path from the room",
    response_model=LocationRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_location(location_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.get(location_id)))


@router.patch(
    "/{location_id:uuid}",
    operation_id="evidence_locations_update",
    description="Renames a location, marks it high-security, or retires it; a location that "
    "still holds items is not retired (409 `location_in_use`). Needs `If-Match`.",
    summary="Rename, mark high-security, or retire an empty location",
    response_model=LocationRead,
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_location(
    location_id: uuid.UUID, body: LocationUpdate, unit: Keeper, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.update(location_id, body, if_match)))
