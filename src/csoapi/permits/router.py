"""/api/v1/permits — parking permits: issued and revoked by records, read, checked and
printed by the field, looked up by payment portals; holders shown to records only."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.offload import offload
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.core.values import Plate, PlateState
from csoapi.permits.printing import permit_pdf
from csoapi.permits.schemas import (
    CheckResult,
    HolderRead,
    PermitCreate,
    PermitFilters,
    PermitKind,
    PermitRead,
    PortalPermit,
    RevokeBody,
    StatusQuery,
    ZoneCode,
    ZoneCreate,
    ZoneRead,
    ZoneUpdate,
)
from csoapi.permits.service import PermitService

router = APIRouter(prefix="/permits", tags=["permits"])
Field = carrier(PermitService, "field:read")
Records = carrier(PermitService, "permits:write")
Issuer = carrier(PermitService, "permits:write", idempotency="optional")
Portal = carrier(PermitService, "permits:lookup")
NumberQuery = Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9\-]+$")]


def _zone(z) -> Reply:  # type: ignore[no-untyped-def]
    return ok(ZoneRead.model_validate(z), version=z.version)


@router.get(
    "/zones",
    operation_id="permit_zones_list",
    description="The permit zones, by code.",
    summary="Permit zones",
    response_model=Page[ZoneRead],
    responses=error_responses(401, 403, 422),
)
async def list_zones(unit: Field, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None):
    def work(svc: PermitService) -> Page[ZoneRead]:
        rows, nxt = svc.zone_page(limit=limit, cursor=cursor)
        return Page[ZoneRead](items=[ZoneRead.model_validate(z) for z in rows], next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "/zones",
    operation_id="permit_zones_create",
    description="Opens a permit zone (records); a code that exists is a 409 `permit_zone_exists`.",
    summary="Open a permit zone (records)",
    status_code=201,
    response_model=ZoneRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_zone(body: ZoneCreate, unit: Records) -> Response:
    def work(svc: PermitService) -> Reply:
        z = svc.create_zone(body)
        body_ = ZoneRead.model_validate(z)
        return created(body_, location=f"/api/v1/permits/zones/{z.code}", version=z.version)

    return await unit.run(work)


@router.patch(
    "/zones/{code}",
    operation_id="permit_zones_update",
    description="Renames, describes or closes a zone; a closed zone takes no new permits (409 "
    "`permit_zone_inactive`).",
    summary="Rename, describe or close a permit zone (records)",
    response_model=ZoneRead,
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
async def update_zone(
    code: ZoneCode, body: ZoneUpdate, unit: Records, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _zone(svc.update_zone(code, body, if_match)))


@router.get(
    "/check",
    operation_id="permits_check",
    summary="Is this vehicle covered by a valid permit in this zone at this instant?",
    description="`at` defaults to now. Validity runs over whole days in the agency's time "
    "zone: a permit valid to a day covers until that day's local midnight, whatever the "
    "clocks did in between.",
    response_model=CheckResult,
    responses=error_responses(401, 403, 422),
)
async def check_permit(
    unit: Field,
    plate: Annotated[Plate, Query()],
    plate_state: Annotated[PlateState, Query()],
    zone: Annotated[ZoneCode, Query()],
    at: Annotated[Timestamp | None, Query()] = None,
) -> Response:
    return await unit.run(lambda svc: svc.check(plate, plate_state, zone, at))


@router.get(
    "/lookup",
    operation_id="permits_lookup",
    description="For payment portals: a permit by its number, without its holder (404 "
    "`permit_not_found`).",
    summary="Payment portal: a permit by its number (no holder)",
    response_model=PortalPermit,
    responses=error_responses(401, 403, 404, 422),
)
async def lookup_permit(unit: Portal, number: NumberQuery) -> Response:
    return await unit.run(lambda svc: svc.lookup(number))


@router.get(
    "",
    operation_id="permits_list",
    description="Permits, newest first, keyset-paged, without holders.",
    summary="Permits, newest first",
    response_model=Page[PermitRead],
    responses=error_responses(401, 403, 422),
)
async def list_permits(
    unit: Field,
    zone: Annotated[ZoneCode | None, Query()] = None,
    plate: Annotated[Plate | None, Query()] = None,
    plate_state: Annotated[PlateState | None, Query()] = None,
    kind: Annotated[PermitKind | None, Query()] = None,
    status: Annotated[StatusQuery | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    f = PermitFilters(zone=zone, plate=plate, plate_state=plate_state, kind=kind, status=status)

    def work(svc: PermitService) -> Page[PermitRead]:
        rows, nxt = svc.page(f, limit=limit, cursor=cursor)
        return Page[PermitRead](items=[svc.view(p) for p in rows], next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "",
    operation_id="permits_create",
    description="Issues a parking permit (records) for a plate in a zone over whole days; its "
    "fee comes from the fee schedule in force (422 `no_permit_fee` when none is). A "
    "permit overlapping another for the same vehicle and zone is a 409 "
    "`permit_overlaps`; a kind has a longest validity (422 `permit_too_long`).",
    summary="Issue a parking permit (records); its fee comes from the fee schedule",
    status_code=201,
    response_model=PermitRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_permit(body: PermitCreate, unit: Issuer) -> Response:
    def work(svc: PermitService) -> Reply:
        p = svc.issue(body)
        return created(svc.view(p), location=f"/api/v1/permits/{p.id}", version=p.version)

    return await unit.run(work)


@router.get(
    "/{permit_id}",
    operation_id="permits_get",
    description="One permit, without its holder (whose name and address are read, audited, at "
    "`/holder`).",
    summary="Read one permit (no holder)",
    response_model=PermitRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_permit(permit_id: uuid.UUID, unit: Field) -> Response:
    def work(svc: PermitService) -> Reply:
        p = svc.read(permit_id)
        return ok(svc.view(p), version=p.version)

    return await unit.run(work)


@router.get(
    "/{permit_id}/holder",
    operation_id="permits_holder",
    description="The permit holder's name and address (records only); every read is audited.",
    summary="The permit holder's name and address (records; every read audited)",
    response_model=HolderRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_holder(permit_id: uuid.UUID, unit: Records) -> Response:
    return await unit.run(lambda svc: svc.holder(permit_id))


@router.post(
    "/{permit_id}/revoke",
    operation_id="permits_revoke",
    description="Revokes an active permit with a reason (409 `permit_not_revocable` otherwise); "
    "from then it covers nothing.",
    summary="Revoke an active permit (records), with a reason",
    response_model=PermitRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def revoke_permit(
    permit_id: uuid.UUID, body: RevokeBody, unit: Records, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: PermitService) -> Reply:
        p = svc.revoke(permit_id, body, if_match)
        return ok(svc.view(p), version=p.version)

    return await unit.run(work)


@router.get(
    "/{permit_id}/print",
    operation_id="permits_print",
    description="The printable permit (application/pdf) with a QR code of its number, for the "
    "windscreen.",
    summary="The printable permit: a PDF with a QR code of its number",
    response_class=Response,
    responses=error_responses(401, 403, 404, 422) | {200: {"content": {"application/pdf": {}}}},
)
async def print_permit(permit_id: uuid.UUID, unit: Field) -> Response:
    def work(svc: PermitService) -> Response:
        p = svc.printed(permit_id)
        pdf = offload(permit_pdf, p, f"Agency {svc.ctx.settings.agency_ori}")
        headers = {"Content-Disposition": f'inline; filename="permit-{p.number}.pdf"'}
        return Response(pdf, media_type="application/pdf", headers=headers)

    return await unit.run(work)
