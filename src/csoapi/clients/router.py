"""/api/v1/clients — administrators manage machine clients (CAD bridges, payment portals)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.clients.schemas import ClientCreate, ClientRead, ClientWithSecret
from csoapi.clients.service import ClientService
from csoapi.core.carrier import Reply, carrier, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.scopes import ClientKind

router = APIRouter(prefix="/clients", tags=["clients"])
Admin = carrier(ClientService, "admin")
ERRORS = (401, 403, 422)
NO_STORE = {"Cache-Control": "no-store"}


# Creation and rotation take no Idempotency-Key on purpose: a replayable response would
# mean keeping the clear secret in the idempotency store.
@router.post(
    "",
    operation_id="clients_create",
    description="Registers a CAD, payment portal or provider system (`provider` needs the "
    "`organization_id` it is bound to). The answer carries `client_secret` once: "
    "store it, it is kept only as a hash. The client signs in with "
    "`grant_type=client_credentials`.",
    status_code=201,
    response_model=ClientWithSecret,
    summary="Register a machine client; the secret is returned once",
    responses=error_responses(*ERRORS),
)
async def create_client(body: ClientCreate, unit: Admin) -> Response:
    def work(svc: ClientService) -> Reply:
        made = svc.create(body)
        location = f"/api/v1/clients/{made.id}"
        return Reply(made, 201, made.version, location, NO_STORE)

    return await unit.run(work)


@router.get(
    "",
    operation_id="clients_list",
    description="Keyset-paged: id, name, kind, client_id, active; never a secret.",
    summary="List machine clients",
    response_model=Page[ClientRead],
    responses=error_responses(*ERRORS),
)
async def list_clients(
    unit: Admin,
    kind: Annotated[ClientKind | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: ClientService) -> Page[ClientRead]:
        rows, nxt = svc.page(kind=kind, active=active, limit=limit, cursor=cursor)
        items = [ClientRead.model_validate(c) for c in rows]
        return Page[ClientRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{client_pk}",
    operation_id="clients_get",
    description="One machine client: kind, client_id, organization (providers), active; never "
    "its secret.",
    summary="Read a machine client",
    response_model=ClientRead,
    responses=error_responses(*ERRORS, 404),
)
async def get_client(client_pk: uuid.UUID, unit: Admin) -> Response:
    return await unit.run(lambda svc: _read(svc.get(client_pk)))


def _read(client) -> Reply:  # type: ignore[no-untyped-def]
    return ok(ClientRead.model_validate(client), version=client.version)


@router.post(
    "/{client_pk}/rotate-secret",
    operation_id="clients_rotate_secret",
    description="Issues a new `client_secret` (returned once) and ends every live token of the "
    "client at once: there is no grace period, so give the client its new secret "
    "before rotating in production.",
    summary="Issue a new secret; the old one and its live tokens stop working",
    response_model=ClientWithSecret,
    responses=error_responses(*ERRORS, 404, 412),
)
async def rotate_client_secret(
    client_pk: uuid.UUID, unit: Admin, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: ClientService) -> Reply:
        rotated = svc.rotate_secret(client_pk, if_match)
        return ok(rotated, version=rotated.version, headers=NO_STORE)

    return await unit.run(work)


@router.post(
    "/{client_pk}/deactivate",
    operation_id="clients_deactivate",
    description="The client can no longer get tokens, and every live token of it fails at once.",
    summary="Deactivate a client; its live tokens stop working at once",
    response_model=ClientRead,
    responses=error_responses(*ERRORS, 404, 412),
)
async def deactivate_client(
    client_pk: uuid.UUID, unit: Admin, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _read(svc.set_active(client_pk, False, if_match)))


@router.post(
    "/{client_pk}/reactivate",
    operation_id="clients_reactivate",
    description="Lets a deactivated client get tokens again with its current secret.",
    summary="Reactivate a client",
    response_model=ClientRead,
    responses=error_responses(*ERRORS, 404, 412),
)
async def reactivate_client(
    client_pk: uuid.UUID, unit: Admin, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _read(svc.set_active(client_pk, True, if_match)))
