from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import model_validator

from csoapi.core.schemas import AsString, Id, Input, Name, Output
from csoapi.core.scopes import ClientKind


class ClientCreate(Input):
    name: Name
    kind: Annotated[ClientKind, AsString]
    organization_id: Id | None = None

    @model_validator(mode="after")
    def _provider_bound(self) -> ClientCreate:
        if (self.kind == ClientKind.provider) != (self.organization_id is not None):
            raise ValueError("organization_id is required for a provider, and only for one")
        return self


class ClientRead(Output):
    id: uuid.UUID
    client_id: str
    name: str
    kind: ClientKind
    organization_id: uuid.UUID | None = None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(ClientRead):
    """Returned once, at creation or rotation: the secret is not stored in clear anywhere."""

    client_secret: str
