from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from csoapi.core.schemas import AsString, Input, Name, Output
from csoapi.core.scopes import ClientKind


class ClientCreate(Input):
    name: Name
    kind: Annotated[ClientKind, AsString]


class ClientRead(Output):
    id: uuid.UUID
    client_id: str
    name: str
    kind: ClientKind
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(ClientRead):
    """Returned once, at creation or rotation: the secret is not stored in clear anywhere."""

    client_secret: str
