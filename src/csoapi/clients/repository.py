"""Every query of machine clients."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.clients.models import ApiClient
from csoapi.core.pagination import SortKey, keyset_page

CLIENT_KEYS = (
    SortKey(ApiClient.created_at, "datetime", lambda c: c.created_at),
    SortKey(ApiClient.id, "uuid", lambda c: c.id),
)


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, client: ApiClient) -> ApiClient:
        self.session.add(client)
        self.session.flush()
        return client

    def get(self, pk: uuid.UUID, *, for_update: bool = False) -> ApiClient | None:
        stmt = sa.select(ApiClient).where(ApiClient.id == pk)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

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
        return keyset_page(
            self.session, stmt, tag="clients", keys=CLIENT_KEYS, limit=limit, cursor=cursor
        )
