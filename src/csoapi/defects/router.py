"""/api/v1/defects — defect reports to public works: filed with photos by the field,
forwarded to 311 by ``csoapi worker``, read back with 311's status."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Id
from csoapi.defects.schemas import (
    DefectCreate,
    DefectFilters,
    DefectKind,
    DefectRead,
    Forwarding,
    PhotoRead,
)
from csoapi.defects.service import DefectService

router = APIRouter(prefix="/defects", tags=["defects"])
Reader = carrier(DefectService, "field:read")
Writer = carrier(DefectService, "field:write")
Reporter = carrier(DefectService, "field:write", idempotency="optional")
IMAGE = {"content": {"image/jpeg": {}, "image/png": {}}}


@router.get(
    "",
    operation_id="defects_list",
    description="Defect reports, newest first, keyset-paged, each with its 311 status.",
    summary="Defect reports, newest first",
    response_model=Page[DefectRead],
    responses=error_responses(401, 403, 422),
)
async def list_defects(
    unit: Reader,
    kind: Annotated[DefectKind | None, Query()] = None,
    forwarding: Annotated[Forwarding | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    call_id: Annotated[Id | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    f = DefectFilters(kind=kind, forwarding=forwarding, status=status, call_id=call_id)

    def work(svc: DefectService) -> Page[DefectRead]:
        items, nxt = svc.page(f, limit=limit, cursor=cursor)
        return Page[DefectRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.post(
    "",
    operation_id="defects_create",
    description="Reports a defect (meter, sign, signal, streetlight, obstruction) at a "
    "location; the worker sends it to the city's 311 system as an Open311 GeoReport "
    "v2 request, retrying, and polls its status back.",
    summary="Report a defect (meter, sign, signal, streetlight, obstruction) for 311",
    status_code=201,
    response_model=DefectRead,
    responses=error_responses(401, 403, 422),
)
async def report_defect(body: DefectCreate, unit: Reporter) -> Response:
    def work(svc: DefectService) -> Reply:
        d = svc.report(body)
        read = svc.read(d.id)
        return created(read, location=f"/api/v1/defects/{d.id}", version=d.version)

    return await unit.run(work)


@router.get(
    "/{defect_id}",
    operation_id="defects_get",
    description="One defect report with what 311 says of it (`service_request_id`, status, notes).",
    summary="Read one defect report, with what 311 says of it",
    response_model=DefectRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_defect(defect_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: DefectService) -> Reply:
        read = svc.read(defect_id)
        return ok(read, version=read.version)

    return await unit.run(work)


@router.post(
    "/{defect_id}/photos",
    operation_id="defects_add_photo",
    description="Adds a photo (the request body is the JPEG or PNG itself, size-bounded); its "
    "metadata (EXIF, location) is stripped by re-encoding. At most a few per report "
    "(409 `too_many_photos`), and not once the report has gone to 311 (409 "
    "`defect_sent`); a body that is not the image its Content-Type says is a 422.",
    summary="Add a photo (the body is the JPEG or PNG itself); its metadata is stripped",
    status_code=201,
    response_model=PhotoRead,
    responses=error_responses(401, 403, 404, 409, 413, 415, 422),
    openapi_extra={"requestBody": {"required": True, **IMAGE}},
)
async def add_photo(
    defect_id: uuid.UUID,
    request: Request,
    unit: Writer,
) -> Response:
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def work(svc: DefectService) -> Reply:
        p = svc.add_photo(defect_id, raw, kind)
        location = f"/api/v1/defects/{defect_id}/photos/{p.id}"
        return created(PhotoRead.model_validate(p), location=location)

    return await unit.run(work)


@router.get(
    "/{defect_id}/photos/{photo_id}",
    operation_id="defects_photo",
    description="A photo as stored: re-encoded, without metadata.",
    summary="A photo as stored (re-encoded, without metadata)",
    response_class=Response,
    responses=error_responses(401, 403, 404, 422) | {200: IMAGE},
)
async def get_photo(defect_id: uuid.UUID, photo_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: DefectService) -> Response:
        p = svc.photo(defect_id, photo_id)
        return Response(p.data, media_type=p.content_type)

    return await unit.run(work)


@router.post(
    "/{defect_id}/retry",
    operation_id="defects_retry",
    description="Sends once more, from the first try, a report 311 never took (409 "
    "`defect_not_failed` for any other).",
    summary="Send a report 311 never took once more, from the first try",
    response_model=DefectRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def retry_defect(defect_id: uuid.UUID, unit: Writer, if_match: IfMatchHeader = None):
    def work(svc: DefectService) -> Reply:
        read = svc.retry(defect_id, if_match)
        return ok(read, version=read.version)

    return await unit.run(work)
