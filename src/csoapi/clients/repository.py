"""Every query of machine clients."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from csoapi.clients.models import ApiClient
from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository

CLIENT_KEYS = (
    SortKey(ApiClient.created_at, "datetime", lambda c: c.created_at),
    SortKey(ApiClient.id, "uuid", lambda c: c.id),
)


class ClientRepository(Repository[ApiClient]):
    model = ApiClient
    missing = ("No such client", "client_not_found")
    keys = CLIENT_KEYS
    tag = "clients"

    def organization_exists(self, organization_id: uuid.UUID) -> bool:
        """Whether the service directory has this organization (its table named here, not
        imported: the directory is a feature above this one)."""
        table = sa.table("organization", sa.column("id", sa.Uuid()))
        stmt = sa.select(sa.exists().where(table.c.id == organization_id))
        return bool(self.session.scalar(stmt))

    def by_client_id(self, client_id: str) -> ApiClient | None:
        return self.session.scalars(
            sa.select(ApiClient).where(ApiClient.client_id == client_id)
        ).first()

    def page(
        self, *, kind: str | None, active: bool | None, limit: int, cursor: str | None
    ) -> tuple[list[ApiClient], str | None]:
        stmt = sa.select(ApiClient)
        if kind is not None:
            stmt = stmt.where(ApiClient.kind == kind)
        if active is not None:
            stmt = stmt.where(ApiClient.active == active)
        return self.page_of(stmt, limit=limit, cursor=cursor)
