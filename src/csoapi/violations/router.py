"""/api/v1/violations — the violation schedule: read by anyone signed in, kept by admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Day
from csoapi.violations.schemas import ViolationCreate, ViolationRead, ViolationUpdate
from csoapi.violations.service import ViolationService

router = APIRouter(prefix="/violations", tags=["violations"])
Admin = carrier(ViolationService, "admin")
Scheduler = carrier(ViolationService, "admin", idempotency="optional")
Reader = carrier(ViolationService)  # anyone signed in


def _one(row) -> Reply:  # type: ignore[no-untyped-def]
    return ok(ViolationRead.model_validate(row), version=row.version)


@router.get(
    "",
    operation_id="violations_list",
    description="Every version of every code, or with `as_of` (a day) only the versions in "
    "force that day: what a citation issued then would snapshot. Readable by any "
    "signed-in principal.",
    summary="The schedule: every version, or with `as_of` the versions in force that day",
    response_model=Page[ViolationRead],
    responses=error_responses(401, 422),
)
async def list_violations(
    unit: Reader,
    code: Annotated[str | None, Query(max_length=16)] = None,
    as_of: Annotated[Day | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: ViolationService) -> Page[ViolationRead]:
        rows, nxt = svc.page(code=code, as_of=as_of, limit=limit, cursor=cursor)
        return Page[ViolationRead](
            items=[ViolationRead.model_validate(r) for r in rows], next_cursor=nxt
        )

    return await unit.run(work)


@router.get(
    "/{violation_id}",
    operation_id="violations_get",
    description="One version: code, description, ordinance, `fine_cents`, `penalties` "
    "(`after_days`, `amount_cents`), `effective_from`, and whether it was "
    "withdrawn. Readable by any signed-in principal.",
    summary="Read one version",
    response_model=ViolationRead,
    responses=error_responses(401, 404, 422),
)
async def get_violation(violation_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: _one(svc.get(violation_id)))


@router.post(
    "",
    operation_id="violations_create",
    description="Adds a code, or a new version of an existing code from `effective_from`. "
    "Citations already issued keep the fine and penalties they snapshotted. The "
    "same code and date twice is a 409 `violation_version_exists`.",
    summary="Schedule a violation code, or a new version of one from a date",
    status_code=201,
    response_model=ViolationRead,
    responses=error_responses(401, 403, 409, 422),
)
async def create_violation(body: ViolationCreate, unit: Scheduler) -> Response:
    def work(svc: ViolationService) -> Reply:
        row = svc.create(body)
        read = ViolationRead.model_validate(row)
        return created(read, location=f"/api/v1/violations/{row.id}", version=row.version)

    return await unit.run(work)


@router.patch(
    "/{violation_id}",
    operation_id="violations_update",
    description="Changes a version's wording (description, ordinance) or withdraws it; needs "
    "`If-Match`. Money (fine, penalties) never changes in place: add a new version "
    "from a date instead.",
    summary="Change a version's wording or withdraw it (money changes need a new version)",
    response_model=ViolationRead,
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
async def update_violation(
    violation_id: uuid.UUID, body: ViolationUpdate, unit: Admin, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _one(svc.update(violation_id, body, if_match)))
