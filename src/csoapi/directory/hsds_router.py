"""/api/v1/hsds: the service directory as an Open Referral HSDS 3.0 API (its paths, its
paging envelope and parameters, combined with AND), readable with services:read: our
roles and the providers' systems."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import carrier
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.directory.hsds import (
    HSDS_VERSION,
    OPENAPI_URL,
    PROFILE,
    HsdsService,
    Paging,
    ServiceFilters,
)

router = APIRouter(prefix="/hsds", tags=["hsds"])
Reader = carrier(HsdsService, "services:read")
E = error_responses(401, 403, 422)
E404 = error_responses(401, 403, 404, 422)
PageQuery = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")]
PerPageQuery = Annotated[int, Query(ge=1, le=500, description="Items a page (1–500)")]
Search = Annotated[str | None, Query(min_length=1, max_length=100, description="Full text")]
PAGE = {"description": "An HSDS page: total_items, total_pages, page_number, size, …, contents"}


def _paging(page: int, per_page: int) -> Paging:
    return Paging(page=page, per_page=per_page)


@router.get(
    "/",
    operation_id="hsds_about",
    description="The HSDS 3.0 read API's root: the HSDS version, profile and where its OpenAPI "
    "description is.",
    summary="This API's HSDS version, profile and OpenAPI description",
    responses=E,
)
async def about(unit: Reader) -> Response:
    def work(_svc: HsdsService) -> dict[str, Any]:
        return {"version": HSDS_VERSION, "profile": PROFILE, "openapi_url": OPENAPI_URL}

    return await unit.run(work)


@router.get(
    "/services",
    operation_id="hsds_services",
    description="HSDS `services` with their one-to-one fields, in HSDS's paging envelope; "
    "filters combine with AND.",
    summary="Services (one-to-one fields), filtered with AND",
    responses={200: PAGE, **E},
)
async def services(
    unit: Reader,
    search: Search = None,
    taxonomy_term_id: Annotated[uuid.UUID | None, Query()] = None,
    taxonomy_id: Annotated[uuid.UUID | None, Query()] = None,
    organization_id: Annotated[uuid.UUID | None, Query()] = None,
    modified_after: Annotated[Timestamp | None, Query()] = None,
    postcode: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    proximity: Annotated[
        float | None, Query(gt=0, le=200_000, description="Metres from the postcode's centre")
    ] = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Response:
    filters = ServiceFilters(
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        organization_id=organization_id,
        modified_after=modified_after,
        postcode=postcode,
        proximity=proximity,
    )
    return await unit.run(lambda svc: svc.services(filters, _paging(page, per_page)))


@router.get(
    "/services/{service_id}",
    operation_id="hsds_service",
    description="One service, fully nested as HSDS 3.0 has it (organization, locations, phones, "
    "schedules, taxonomy terms).",
    summary="One service, fully nested",
    responses=E404,
)
async def service(service_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: svc.service(service_id))


@router.get(
    "/organizations",
    operation_id="hsds_organizations",
    description="HSDS `organizations` with their one-to-one fields, in HSDS's paging envelope.",
    summary="Organizations (one-to-one fields)",
    responses={200: PAGE, **E},
)
async def organizations(
    unit: Reader, search: Search = None, page: PageQuery = 1, per_page: PerPageQuery = 50
) -> Response:
    return await unit.run(lambda svc: svc.organizations(search, _paging(page, per_page)))


@router.get(
    "/organizations/{organization_id}",
    operation_id="hsds_organization",
    description="One organization as HSDS 3.0 has it, with its phones.",
    summary="One organization with its phones",
    responses=E404,
)
async def organization(organization_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: svc.organization(organization_id))


@router.get(
    "/service_at_locations",
    operation_id="hsds_service_at_locations",
    description="HSDS `service_at_locations`: which service is offered where.",
    summary="Services at locations",
    responses={200: PAGE, **E},
)
async def service_at_locations(
    unit: Reader,
    service_id: Annotated[uuid.UUID | None, Query()] = None,
    location_id: Annotated[uuid.UUID | None, Query()] = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Response:
    paging = _paging(page, per_page)
    return await unit.run(lambda svc: svc.service_at_locations(service_id, location_id, paging))


@router.get(
    "/taxonomies",
    operation_id="hsds_taxonomies",
    description="The taxonomies the directory's categories come from.",
    summary="Taxonomies",
    responses={200: PAGE, **E},
)
async def taxonomies(unit: Reader, page: PageQuery = 1, per_page: PerPageQuery = 50) -> Response:
    return await unit.run(lambda svc: svc.taxonomies(_paging(page, per_page)))


@router.get(
    "/taxonomy_terms",
    operation_id="hsds_taxonomy_terms",
    description="The taxonomy terms (the directory's categories).",
    summary="Taxonomy terms",
    responses={200: PAGE, **E},
)
async def taxonomy_terms(
    unit: Reader,
    taxonomy_id: Annotated[uuid.UUID | None, Query()] = None,
    parent_id: Annotated[uuid.UUID | None, Query()] = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Response:
    paging = _paging(page, per_page)
    return await unit.run(lambda svc: svc.taxonomy_terms(taxonomy_id, parent_id, paging))
