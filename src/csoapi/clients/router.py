"""/api/v1/clients — administrators manage machine clients (CAD bridges, payment portals)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.clients.schemas import ClientCreate, ClientRead, ClientWithSecret
from csoapi.clients.service import ClientService
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.context import provide
from csoapi.core.errors import error_responses
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.responses import respond
from csoapi.core.scopes import ClientKind
from csoapi.core.security import Scoped

router = APIRouter(prefix="/clients", tags=["clients"])
Admin = Scoped("admin")
ERRORS = (401, 403, 422)
NO_STORE = {"Cache-Control": "no-store"}


ClientServiceDep = Annotated[ClientService, provide(ClientService)]


# Creation and rotation take no Idempotency-Key on purpose: a replayable response would
# mean keeping the clear secret in the idempotency store.
@router.post(
    "",
    operation_id="clients_create",
    status_code=201,
    response_model=ClientWithSecret,
    summary="Register a machine client; the secret is returned once",
    responses=error_responses(*ERRORS),
)
def create_client(body: ClientCreate, _: Admin, svc: ClientServiceDep) -> Response:
    created = svc.create(body)
    return respond(
        created,
        status_code=201,
        version=created.version,
        headers=NO_STORE,
        location=f"/api/v1/clients/{created.id}",
    )


@router.get(
    "",
    operation_id="clients_list",
    summary="List machine clients",
    response_model=Page[ClientRead],
    responses=error_responses(*ERRORS),
)
def list_clients(
    _: Admin,
    svc: ClientServiceDep,
    kind: Annotated[ClientKind | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ClientRead]:
    rows, nxt = svc.page(kind=kind, active=active, limit=limit, cursor=cursor)
    return Page[ClientRead](items=[ClientRead.model_validate(c) for c in rows], next_cursor=nxt)


@router.get(
    "/{client_pk}",
    operation_id="clients_get",
    summary="Read a machine client",
    response_model=ClientRead,
    responses=error_responses(*ERRORS, 404),
)
def get_client(client_pk: uuid.UUID, _: Admin, svc: ClientServiceDep) -> Response:
    client = svc.get(client_pk)
    return respond(ClientRead.model_validate(client), version=client.version)


@router.post(
    "/{client_pk}/rotate-secret",
    operation_id="clients_rotate_secret",
    summary="Issue a new secret; the old one and its live tokens stop working",
    response_model=ClientWithSecret,
    responses=error_responses(*ERRORS, 404, 412),
)
def rotate_client_secret(
    client_pk: uuid.UUID, _: Admin, svc: ClientServiceDep, if_match: IfMatchHeader = None
) -> Response:
    rotated = svc.rotate_secret(client_pk, if_match)
    return respond(rotated, version=rotated.version, headers=NO_STORE)


@router.post(
    "/{client_pk}/deactivate",
    operation_id="clients_deactivate",
    summary="Deactivate a client; its live tokens stop working at once",
    response_model=ClientRead,
    responses=error_responses(*ERRORS, 404, 412),
)
def deactivate_client(
    client_pk: uuid.UUID, _: Admin, svc: ClientServiceDep, if_match: IfMatchHeader = None
) -> Response:
    client = svc.set_active(client_pk, False, if_match)
    return respond(ClientRead.model_validate(client), version=client.version)


@router.post(
    "/{client_pk}/reactivate",
    operation_id="clients_reactivate",
    summary="Reactivate a client",
    response_model=ClientRead,
    responses=error_responses(*ERRORS, 404, 412),
)
def reactivate_client(
    client_pk: uuid.UUID, _: Admin, svc: ClientServiceDep, if_match: IfMatchHeader = None
) -> Response:
    client = svc.set_active(client_pk, True, if_match)
    return respond(ClientRead.model_validate(client), version=client.version)
