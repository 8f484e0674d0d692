"""/api/v1/codes/{call-types|dispositions|offenses}: read by anyone signed in, kept by admins."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
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
from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses

router = APIRouter(prefix="/codes", tags=["codes"])
CodePath = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")]


def _add_routes(
    table: CodeTable, create: type[BaseModel], update: type[BaseModel], read: type[BaseModel]
) -> None:
    """The four routes of one code table: list and read (anyone signed in), add and change
    (admin)."""

    def service(session: Any, ctx: Any) -> CodeService:
        return CodeService(session, ctx, table)

    def one(row: Any) -> Reply:
        return ok(read.model_validate(row), version=row.version)

    _reads(table, read, carrier(service), one)
    _writes(table, create, update, read, carrier(service, "admin"), one)


def _reads(table: CodeTable, read: type[BaseModel], Reader: Any, one: Any) -> None:  # noqa: N803
    op = table.name.replace("-", "_")

    @router.get(
        f"/{table.name}",
        operation_id=f"codes_{op}_list",
        summary=f"List {table.label}s",
        description=f"Every {table.label} by code, keyset-paged; `active=true` leaves out "
        "the deactivated ones (which records keep naming, but new records may not use). "
        "Readable by any signed-in principal: CADs and front-ends load their pick lists "
        "here.",
        response_model=Page[read],
        responses=error_responses(401, 422),
    )  # type: ignore[valid-type]
    async def list_codes(
        unit: Reader,  # type: ignore[valid-type]
        active: Annotated[bool | None, Query()] = None,
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
    ) -> Response:
        def work(svc: CodeService) -> Any:
            rows, nxt = svc.page(active=active, limit=limit, cursor=cursor)
            return Page[read](items=[read.model_validate(r) for r in rows], next_cursor=nxt)  # type: ignore[valid-type]

        return await unit.run(work)

    @router.get(
        f"/{table.name}/{{code}}",
        operation_id=f"codes_{op}_get",
        summary=f"Read a {table.label}",
        description=f"One {table.label} by its code (404 `code_not_found`); readable by any "
        "signed-in principal.",
        response_model=read,
        responses=error_responses(401, 404, 422),
    )
    async def get_code(code: CodePath, unit: Reader) -> Response:  # type: ignore[valid-type]
        return await unit.run(lambda svc: one(svc.get(code)))


def _writes(
    table: CodeTable,
    create: type[BaseModel],
    update: type[BaseModel],
    read: type[BaseModel],
    Admin: Any,  # noqa: N803
    one: Any,
) -> None:
    op = table.name.replace("-", "_")

    @router.post(
        f"/{table.name}",
        operation_id=f"codes_{op}_create",
        summary=f"Add a {table.label}",
        description=f"Adds a {table.label} (admin). A code is never reused: one that exists, "
        "active or not, is a 409 `code_exists`. Records may use it at once.",
        status_code=201,
        response_model=read,
        responses=error_responses(401, 403, 409, 422),
    )
    async def create_code(body: create, unit: Admin) -> Response:  # type: ignore[valid-type]
        def work(svc: CodeService) -> Reply:
            row = svc.create(body)
            location = f"/api/v1/codes/{table.name}/{row.code}"
            return created(read.model_validate(row), location=location, version=row.version)

        return await unit.run(work)

    @router.patch(
        f"/{table.name}/{{code}}",
        operation_id=f"codes_{op}_update",
        summary=f"Change or deactivate a {table.label} (If-Match required)",
        description=f"Changes a {table.label}'s wording or deactivates it (admin; "
        "`If-Match` needed: 428 without, 412 when stale). A deactivated code stays on the "
        "records that carry it; new records naming it are a 422 (`unknown_call_type`, "
        "`unknown_disposition`, `unknown_offense`).",
        response_model=read,
        responses=error_responses(401, 403, 404, 412, 422, 428),
    )
    async def update_code(
        code: CodePath,
        body: update,  # type: ignore[valid-type]
        unit: Admin,  # type: ignore[valid-type]
        if_match: IfMatchRequired,
    ) -> Response:
        return await unit.run(lambda svc: one(svc.update(code, body, if_match)))


_add_routes(CALL_TYPES, CallTypeCreate, CallTypeUpdate, CallTypeRead)
_add_routes(DISPOSITIONS, DispositionCreate, DispositionUpdate, DispositionRead)
_add_routes(OFFENSES, OffenseCreate, OffenseUpdate, OffenseRead)
