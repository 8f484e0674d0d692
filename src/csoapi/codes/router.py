"""/api/v1/codes/{call-types|dispositions|offenses}: read by anyone signed in, kept by admins."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from csoapi.codes.schemas import (
    CallTypeCreate,
    CallTypeRead,
    CallTypeUpdate,
    DispositionCreate,
    DispositionRead,
    DispositionUpdate,
    OffenseCreate,
    OffenseRead,
    OffenseUpdate,
)
from csoapi.codes.service import CALL_TYPES, DISPOSITIONS, OFFENSES, CodeService, CodeTable
from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.context import ContextDep
from csoapi.core.db import SessionDep
from csoapi.core.errors import error_responses
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.responses import respond
from csoapi.core.security import Scoped

router = APIRouter(prefix="/codes", tags=["codes"])
Admin = Scoped("admin")
Reader = Scoped()
CodePath = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")]


def _add_routes(
    table: CodeTable, create: type[BaseModel], update: type[BaseModel], read: type[BaseModel]
) -> None:
    op = table.name.replace("-", "_")
    label = table.label

    def service(session: SessionDep, ctx: ContextDep) -> CodeService:
        return CodeService(session, ctx, table)

    Svc = Annotated[CodeService, Depends(service)]

    def one(row: Any, status_code: int = 200, **kw: Any) -> Response:
        return respond(read.model_validate(row), status_code=status_code, version=row.version, **kw)

    @router.get(
        f"/{table.name}",
        operation_id=f"codes_{op}_list",
        summary=f"List {label}s",
        response_model=Page[read],
        responses=error_responses(401, 422),
    )  # type: ignore[valid-type]
    def list_codes(
        _: Reader,
        svc: Svc,
        active: Annotated[bool | None, Query()] = None,
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
    ) -> Any:
        rows, nxt = svc.page(active=active, limit=limit, cursor=cursor)
        return Page[read](items=[read.model_validate(r) for r in rows], next_cursor=nxt)  # type: ignore[valid-type]

    @router.get(
        f"/{table.name}/{{code}}",
        operation_id=f"codes_{op}_get",
        summary=f"Read a {label}",
        response_model=read,
        responses=error_responses(401, 404, 422),
    )
    def get_code(code: CodePath, _: Reader, svc: Svc) -> Response:
        return one(svc.get(code))

    @router.post(
        f"/{table.name}",
        operation_id=f"codes_{op}_create",
        summary=f"Add a {label}",
        status_code=201,
        response_model=read,
        responses=error_responses(401, 403, 409, 422),
    )
    def create_code(body: create, _: Admin, svc: Svc) -> Response:  # type: ignore[valid-type]
        row = svc.create(body)
        return one(row, 201, location=f"/api/v1/codes/{table.name}/{row.code}")

    @router.patch(
        f"/{table.name}/{{code}}",
        operation_id=f"codes_{op}_update",
        summary=f"Change or deactivate a {label} (If-Match required)",
        response_model=read,
        responses=error_responses(401, 403, 404, 412, 422, 428),
    )
    def update_code(
        code: CodePath,
        body: update,
        _: Admin,
        svc: Svc,  # type: ignore[valid-type]
        if_match: IfMatchRequired,
    ) -> Response:
        return one(svc.update(code, body, if_match))


_add_routes(CALL_TYPES, CallTypeCreate, CallTypeUpdate, CallTypeRead)
_add_routes(DISPOSITIONS, DispositionCreate, DispositionUpdate, DispositionRead)
_add_routes(OFFENSES, OffenseCreate, OffenseUpdate, OffenseRead)
