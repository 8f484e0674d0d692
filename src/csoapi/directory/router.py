"""/api/v1/services and /api/v1/organizations: the CSO's search of the service directory
(services:read) and its upkeep by admins (services:write), in HSDS 3.0's field names."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.directory.schemas import (
    Category,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
)
from csoapi.directory.search import Query as Search
from csoapi.directory.service import DirectoryService

router = APIRouter(tags=["services"])
# latitude in [-90, 90], longitude in [-180, 180], in decimal degrees
NEAR = (
    r"^-?(90(\.0+)?|[1-8]?\d(\.\d+)?),"
    r"-?(180(\.0+)?|(1[0-7]\d|[1-9]?\d)(\.\d+)?)$"
)
Reader = carrier(DirectoryService, "services:read")
Keeper = carrier(DirectoryService, "services:write")
Creator = carrier(DirectoryService, "services:write", idempotency="optional")


def _org(row) -> Reply:  # type: ignore[no-untyped-def]
    return ok(OrganizationRead.model_validate(row), version=row.version)


@router.get(
    "/services",
    operation_id="services_search",
    description="Searches the service directory: `category`, text `q`, open at a moment "
    "(`open_at`), and nearest first from `near=lat,lon` within `radius_km` (422 "
    "`radius_without_near` without `near`).",
    summary="Search the directory: category, text, open at a moment, nearest first",
    response_model=Page[ServiceRead],
    responses=error_responses(401, 403, 422),
)
async def search_services(
    unit: Reader,
    category: Annotated[
        list[Category] | None, Query(max_length=11, description="Every category given (AND)")
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    open_at: Annotated[
        Timestamp | None, Query(description="Open at this moment (agency time zone schedules)")
    ] = None,
    near: Annotated[
        str | None,
        Query(max_length=64, pattern=NEAR, description="`latitude,longitude` in degrees"),
    ] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=100)] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    query = Search(
        categories=tuple(dict.fromkeys(category or [])),
        q=q.strip() or None if q else None,
        open_at=open_at,
        near=near,
        radius_km=radius_km,
    )

    def work(svc: DirectoryService) -> Page[ServiceRead]:
        items, nxt = svc.search(query, limit=limit, cursor=cursor)
        return Page[ServiceRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/services/{service_id}",
    operation_id="services_get",
    description="One service with its locations, phones and schedules.",
    summary="One service with its locations, phones and schedules",
    response_model=ServiceRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_service(service_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: DirectoryService) -> Reply:
        read = svc.get(service_id)
        return ok(read, version=read.version)

    return await unit.run(work)


@router.post(
    "/services",
    operation_id="services_create",
    description="Adds a service with HSDS 3.0 field names, its locations, addresses, phones and "
    "schedules inline (an id that exists: 409 `service_exists`).",
    summary="Add a service (with its locations, addresses, phones and schedules inline)",
    status_code=201,
    response_model=ServiceRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def create_service(body: ServiceCreate, unit: Creator) -> Response:
    def work(svc: DirectoryService) -> Reply:
        read = svc.read(svc.create_service(body))
        return created(read, location=f"/api/v1/services/{read.id}", version=read.version)

    return await unit.run(work)


@router.patch(
    "/services/{service_id}",
    operation_id="services_update",
    description="Changes a service: the parts given (categories, phones, schedules, locations) "
    "replace the old ones whole. 422 `name_required` or `status_required` for a null name or "
    "status.",
    summary="Change a service; parts given (categories, phones, schedules, locations) replace",
    response_model=ServiceRead,
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
async def update_service(
    service_id: uuid.UUID, body: ServiceUpdate, unit: Keeper, if_match: IfMatchRequired
) -> Response:
    def work(svc: DirectoryService) -> Reply:
        read = svc.read(svc.update_service(service_id, body, if_match))
        return ok(read, version=read.version)

    return await unit.run(work)


@router.get(
    "/organizations/{organization_id}",
    operation_id="organizations_get",
    description="One organization of the directory, with its services.",
    summary="One organization of the directory",
    response_model=OrganizationRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_organization(organization_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: _org(svc.organization(organization_id)))


@router.post(
    "/organizations",
    operation_id="organizations_create",
    description="Adds an organization that provides services (an id that exists: 409 "
    "`organization_exists`); provider clients are bound to one.",
    summary="Add an organization that provides services",
    status_code=201,
    response_model=OrganizationRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_organization(body: OrganizationCreate, unit: Creator) -> Response:
    def work(svc: DirectoryService) -> Reply:
        row = svc.create_organization(body)
        read = OrganizationRead.model_validate(row)
        return created(read, location=f"/api/v1/organizations/{row.id}", version=row.version)

    return await unit.run(work)


@router.patch(
    "/organizations/{organization_id}",
    operation_id="organizations_update",
    description="Changes an organization's fields. 422 `name_required` or "
    "`description_required` for a null name or description.",
    summary="Change an organization",
    response_model=OrganizationRead,
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
async def update_organization(
    organization_id: uuid.UUID, body: OrganizationUpdate, unit: Keeper, if_match: IfMatchRequired
) -> Response:
    return await unit.run(
        lambda svc: _org(svc.update_organization(organization_id, body, if_match))
    )
