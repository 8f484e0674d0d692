"""Machine clients: create (secret shown once), rotate the secret, deactivate."""

from __future__ import annotations

import secrets
import uuid

from sqlmodel import Session

from csoapi.auth.repository import AuthRepository
from csoapi.clients.models import ApiClient
from csoapi.clients.repository import ClientRepository
from csoapi.clients.schemas import ClientCreate, ClientRead, ClientWithSecret
from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Changes, Entity
from csoapi.core.passwords import token_digest
from csoapi.core.scopes import ClientKind


def new_secret() -> str:
    return "cs_" + secrets.token_urlsafe(32)


CLIENT: Entity[ApiClient] = Entity("api_client")  # no events: clients are not followed


class ClientService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = ClientRepository(session)
        self.auth = AuthRepository(session)
        self.changes = Changes(
            session, ctx, CLIENT, lock=lambda key: self.get(key, for_update=True)
        )

    def create(self, data: ClientCreate) -> ClientWithSecret:
        if data.organization_id is not None and not self.repo.organization_exists(
            data.organization_id
        ):
            raise Unprocessable("No such organization", code="organization_not_found")
        secret = new_secret()
        client = self.repo.add(
            ApiClient(
                client_id=f"{data.kind.value.replace('_', '-')}-{secrets.token_hex(8)}",
                name=data.name,
                kind=data.kind.value,
                secret_hash=token_digest(secret),
                organization_id=data.organization_id,
            )
        )
        audit.record(
            self.session,
            self.ctx,
            "client.create",
            entity_type="api_client",
            entity_id=client.id,
            detail={"kind": client.kind},
        )
        return self._with_secret(client, secret)

    def get(self, pk: uuid.UUID, *, for_update: bool = False) -> ApiClient:
        return self.repo.get_or_404(pk, for_update=for_update)

    def rotate_secret(self, pk: uuid.UUID, if_match: str | None) -> ClientWithSecret:
        change = self.changes.begin(pk, if_match)
        client = change.row
        secret = new_secret()
        client.secret_hash = token_digest(secret)
        self.auth.revoke_all_for(client_id=client.id, reason="secret_rotated", now=utcnow())
        return self._with_secret(change.done("client.rotate_secret"), secret)

    def set_active(self, pk: uuid.UUID, active: bool, if_match: str | None) -> ApiClient:
        change = self.changes.begin(pk, if_match)
        client = change.row
        if client.active == active:
            return client  # nothing to change, nothing to record
        if not active:
            self.auth.revoke_all_for(client_id=client.id, reason="deactivated", now=utcnow())
        client.active = active
        return change.done("client.activate" if active else "client.deactivate")

    def page(self, *, kind: ClientKind | None, active: bool | None, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(
            kind=kind.value if kind else None, active=active, limit=limit, cursor=cursor
        )
        filters = {"kind": kind, "active": active, "limit": limit, "cursor": cursor}
        audit.record_list(
            self.session,
            self.ctx,
            "client.list",
            entity_type="client",
            filters=filters,
            count=len(rows),
        )
        return rows, nxt

    def _with_secret(self, client: ApiClient, secret: str) -> ClientWithSecret:
        self.repo.flush()
        return ClientWithSecret(
            **ClientRead.model_validate(client).model_dump(), client_secret=secret
        )
