"""/api/v1/users — administrators manage the people who sign in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.scopes import Role
from csoapi.users.schemas import StaffRead, UserCreate, UserRead, UserUpdate
from csoapi.users.service import UserService

router = APIRouter(prefix="/users", tags=["users"])
Admin = carrier(UserService, "admin")
Dispatcher = carrier(UserService, "calls:dispatch")
Signed = carrier(UserService)  # duty: the person themself or calls:dispatch (the service)
staff_router = APIRouter(prefix="/staff", tags=["users"])
Creator = carrier(UserService, "admin", idempotency="optional")
ERRORS = (401, 403, 422)


def _one(user) -> Reply:  # type: ignore[no-untyped-def]
    return ok(UserRead.model_validate(user), version=user.version)


@router.post(
    "",
    operation_id="users_create",
    description="Creates a person's account with a role (`cso`, `sergeant`, `records`, "
    "`admin`), an optional badge number and a password (at least 12 characters). "
    "Usernames are unique (409 `username_taken`). Audited.",
    summary="Create a user",
    status_code=201,
    response_model=UserRead,
    responses=error_responses(*ERRORS, 409),
)
async def create_user(body: UserCreate, unit: Creator) -> Response:
    def work(svc: UserService) -> Reply:
        user = svc.create(body)
        read = UserRead.model_validate(user)
        return created(read, location=f"/api/v1/users/{user.id}", version=user.version)

    return await unit.run(work)


@router.get(
    "",
    operation_id="users_list",
    description="Keyset-paged; filters `role` and `active`. Sign-in names and account state are "
    "admin matters: CADs find dispatchable staff at `GET /staff`.",
    summary="List users",
    response_model=Page[UserRead],
    responses=error_responses(*ERRORS),
)
async def list_users(
    unit: Admin,
    role: Annotated[Role | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: UserService) -> Page[UserRead]:
        rows, nxt = svc.page(role=role, active=active, limit=limit, cursor=cursor)
        return Page[UserRead](items=[UserRead.model_validate(u) for u in rows], next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{user_id}",
    operation_id="users_get",
    description="One account: role, badge, active, locked until (after repeated failed sign-ins).",
    summary="Read a user",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404),
)
async def get_user(user_id: uuid.UUID, unit: Admin) -> Response:
    return await unit.run(lambda svc: _one(svc.get(user_id)))


@router.patch(
    "/{user_id}",
    operation_id="users_update",
    description="Changes the name, badge, role or password; needs `If-Match`. The last active "
    "administrator cannot lose the role (409 `last_admin`).",
    summary="Change a user's name, badge, role or password (If-Match required)",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404, 409, 412, 428),
)
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, unit: Admin, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _one(svc.update(user_id, body, if_match)))


@router.post(
    "/{user_id}/deactivate",
    operation_id="users_deactivate",
    description="The user can no longer sign in, and every live token of theirs fails at once. "
    "An admin cannot deactivate their own account (409 `cannot_deactivate_self`), "
    "nor the last active admin.",
    summary="Deactivate a user; their live tokens stop working at once",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404, 409, 412),
)
async def deactivate_user(
    user_id: uuid.UUID, unit: Admin, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc.set_active(user_id, False, if_match)))


@router.post(
    "/{user_id}/reactivate",
    operation_id="users_reactivate",
    description="Lets a deactivated user sign in again (with their existing password).",
    summary="Reactivate a user",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404, 412),
)
async def reactivate_user(
    user_id: uuid.UUID, unit: Admin, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc.set_active(user_id, True, if_match)))


@router.post(
    "/{user_id}/unlock",
    operation_id="users_unlock",
    description="Clears the lock that `CSOAPI_LOCKOUT_MAX_FAILURES` failed sign-ins within the "
    "window put on the account; the failure count starts over.",
    summary="Lift a lockout after repeated failed sign-ins",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404),
)
async def unlock_user(user_id: uuid.UUID, unit: Admin) -> Response:
    return await unit.run(lambda svc: _one(svc.unlock(user_id)))


def _staff(user, since: datetime | None) -> StaffRead:  # type: ignore[no-untyped-def]
    return StaffRead(
        id=user.id,
        badge_number=user.badge_number,
        display_name=user.full_name,
        role=user.role,
        on_duty=since is not None,
        on_duty_since=since,
    )


@staff_router.get(
    "",
    operation_id="staff_list",
    summary="Dispatchable staff: active CSOs and sergeants, for assigning calls",
    description="For callers with calls:dispatch (sergeants, CAD clients): id, badge number, "
    "display name and role of each active CSO and sergeant, whether they are on duty (signed "
    "on with POST /staff/{id}/on-duty) and since when, and nothing else (no sign-in name, no "
    "account state). `assigned_to` of POST /calls/{id}/assign takes the id or the badge "
    "number. `role=` narrows to one role (other roles are never listed); `on_duty=true` to "
    "those on duty now, `on_duty=false` to those off duty.",
    response_model=Page[StaffRead],
    responses=error_responses(*ERRORS),
)
async def list_staff(
    unit: Dispatcher,
    role: Annotated[Role | None, Query()] = None,
    on_duty: Annotated[bool | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: UserService) -> Page[StaffRead]:
        rows, nxt, since = svc.staff(role=role, on_duty=on_duty, limit=limit, cursor=cursor)
        return Page[StaffRead](items=[_staff(u, since.get(u.id)) for u in rows], next_cursor=nxt)

    return await unit.run(work)


DUTY = (
    "Only the person themself (a CSO or sergeant) or a caller with calls:dispatch (a "
    "sergeant, the CAD) may (403 `duty_not_yours`); the person must be an active CSO or "
    "sergeant (404 `staff_not_found`). Audited, with who did it."
)


@staff_router.post(
    "/{user_id}/on-duty",
    operation_id="staff_on_duty",
    summary="Sign a CSO or sergeant on duty (start of shift)",
    description="Opens the person's duty shift: from now on `GET /staff?on_duty=true` lists "
    "them as on duty, with `on_duty_since`. Signing on someone already on duty changes "
    "nothing and answers the same. " + DUTY,
    response_model=StaffRead,
    responses=error_responses(401, 403, 404),
)
async def sign_on(user_id: uuid.UUID, unit: Signed) -> Response:
    return await unit.run(lambda svc: _staff(*svc.set_duty(user_id, True)))


@staff_router.post(
    "/{user_id}/off-duty",
    operation_id="staff_off_duty",
    summary="Sign a CSO or sergeant off duty (end of shift)",
    description="Closes the person's duty shift (deactivating the account, or a role other "
    "than CSO or sergeant, closes it too). Signing off someone off duty changes nothing. " + DUTY,
    response_model=StaffRead,
    responses=error_responses(401, 403, 404),
)
async def sign_off(user_id: uuid.UUID, unit: Signed) -> Response:
    return await unit.run(lambda svc: _staff(*svc.set_duty(user_id, False)))
