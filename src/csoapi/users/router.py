"""/api/v1/users — administrators manage the people who sign in."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.context import provide
from csoapi.core.errors import error_responses
from csoapi.core.idempotency import IdempotencyDep
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.responses import respond
from csoapi.core.scopes import Role
from csoapi.core.security import Scoped
from csoapi.users.schemas import UserCreate, UserRead, UserUpdate
from csoapi.users.service import UserService

router = APIRouter(prefix="/users", tags=["users"])
Admin = Scoped("admin")
ERRORS = (401, 403, 422)


UserServiceDep = Annotated[UserService, provide(UserService)]


def _one(user, status_code: int = 200, **kw) -> Response:  # type: ignore[no-untyped-def]
    return respond(
        UserRead.model_validate(user), status_code=status_code, version=user.version, **kw
    )


@router.post(
    "",
    operation_id="users_create",
    summary="Create a user",
    status_code=201,
    response_model=UserRead,
    responses=error_responses(*ERRORS, 409),
)
def create_user(body: UserCreate, _: Admin, svc: UserServiceDep, idem: IdempotencyDep) -> Response:
    user = svc.create(body)
    return _one(user, 201, location=f"/api/v1/users/{user.id}", idem=idem)


@router.get(
    "",
    operation_id="users_list",
    summary="List users",
    response_model=Page[UserRead],
    responses=error_responses(*ERRORS),
)
def list_users(
    _: Admin,
    svc: UserServiceDep,
    role: Annotated[Role | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[UserRead]:
    rows, nxt = svc.page(role=role, active=active, limit=limit, cursor=cursor)
    return Page[UserRead](items=[UserRead.model_validate(u) for u in rows], next_cursor=nxt)


@router.get(
    "/{user_id}",
    operation_id="users_get",
    summary="Read a user",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404),
)
def get_user(user_id: uuid.UUID, _: Admin, svc: UserServiceDep) -> Response:
    return _one(svc.get(user_id))


@router.patch(
    "/{user_id}",
    operation_id="users_update",
    summary="Change a user's name, badge, role or password (If-Match required)",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404, 409, 412, 428),
)
def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    _: Admin,
    svc: UserServiceDep,
    if_match: IfMatchRequired,
) -> Response:
    return _one(svc.update(user_id, body, if_match))


@router.post(
    "/{user_id}/deactivate",
    operation_id="users_deactivate",
    summary="Deactivate a user; their live tokens stop working at once",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404, 409, 412),
)
def deactivate_user(
    user_id: uuid.UUID, _: Admin, svc: UserServiceDep, if_match: IfMatchHeader = None
) -> Response:
    return _one(svc.set_active(user_id, False, if_match))


@router.post(
    "/{user_id}/reactivate",
    operation_id="users_reactivate",
    summary="Reactivate a user",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404, 412),
)
def reactivate_user(
    user_id: uuid.UUID, _: Admin, svc: UserServiceDep, if_match: IfMatchHeader = None
) -> Response:
    return _one(svc.set_active(user_id, True, if_match))


@router.post(
    "/{user_id}/unlock",
    operation_id="users_unlock",
    summary="Lift a lockout after repeated failed sign-ins",
    response_model=UserRead,
    responses=error_responses(*ERRORS, 404),
)
def unlock_user(user_id: uuid.UUID, _: Admin, svc: UserServiceDep) -> Response:
    return _one(svc.unlock(user_id))
