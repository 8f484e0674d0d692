"""/api/v1/violations — the violation schedule: read by anyone signed in, kept by admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.context import provide
from csoapi.core.errors import error_responses
from csoapi.core.idempotency import IdempotencyDep
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.responses import respond
from csoapi.core.schemas import Day
from csoapi.core.security import Scoped
from csoapi.violations.schemas import ViolationCreate, ViolationRead, ViolationUpdate
from csoapi.violations.service import ViolationService

router = APIRouter(prefix="/violations", tags=["violations"])
Admin = Scoped("admin")
Reader = Scoped()


Svc = Annotated[ViolationService, provide(ViolationService)]


@router.get(
    "",
    operation_id="violations_list",
    summary="The schedule: every version, or with `as_of` the versions in force that day",
    response_model=Page[ViolationRead],
    responses=error_responses(401, 422),
)
def list_violations(
    _: Reader,
    svc: Svc,
    code: Annotated[str | None, Query(max_length=16)] = None,
    as_of: Annotated[Day | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ViolationRead]:
    rows, nxt = svc.page(code=code, as_of=as_of, limit=limit, cursor=cursor)
    return Page[ViolationRead](
        items=[ViolationRead.model_validate(r) for r in rows], next_cursor=nxt
    )


@router.get(
    "/{violation_id}",
    operation_id="violations_get",
    summary="Read one version",
    response_model=ViolationRead,
    responses=error_responses(401, 404, 422),
)
def get_violation(violation_id: uuid.UUID, _: Reader, svc: Svc) -> Response:
    row = svc.get(violation_id)
    return respond(ViolationRead.model_validate(row), version=row.version)


@router.post(
    "",
    operation_id="violations_create",
    summary="Schedule a violation code, or a new version of one from a date",
    status_code=201,
    response_model=ViolationRead,
    responses=error_responses(401, 403, 409, 422),
)
def create_violation(body: ViolationCreate, _: Admin, svc: Svc, idem: IdempotencyDep) -> Response:
    row = svc.create(body)
    return respond(
        ViolationRead.model_validate(row),
        status_code=201,
        version=row.version,
        location=f"/api/v1/violations/{row.id}",
        idem=idem,
    )


@router.patch(
    "/{violation_id}",
    operation_id="violations_update",
    summary="Change a version's wording or withdraw it (money changes need a new version)",
    response_model=ViolationRead,
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
def update_violation(
    violation_id: uuid.UUID,
    body: ViolationUpdate,
    _: Admin,
    svc: Svc,
    if_match: IfMatchRequired,
) -> Response:
    row = svc.update(violation_id, body, if_match)
    return respond(ViolationRead.model_validate(row), version=row.version)
