"""Machine clients: CAD bridges, municipal payment portals and service providers' systems
(a provider is bound to one organization of the service directory)."""

from __future__ import annotations

import uuid

from sqlmodel import Field

from csoapi.core.models import Versioned, id_field


class ApiClient(Versioned, table=True):
    __tablename__ = "api_client"

    id: uuid.UUID = id_field()
    client_id: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    # SHA-256 of a 256-bit random secret: a slow hash adds nothing against a secret with
    # that much entropy, and keeps client_credentials grants cheap for busy portals.
    secret_hash: str = Field(max_length=128)
    active: bool = Field(default=True)
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
