from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from csoapi.core.schemas import NoNul, Output


class TokenForm(NoNul):
    """OAuth 2.0 token request (application/x-www-form-urlencoded)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    grant_type: str = Field(
        min_length=1, max_length=64, description="password, client_credentials or refresh_token"
    )
    username: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, max_length=256)
    scope: str | None = Field(default=None, max_length=2048)
    client_id: str | None = Field(default=None, max_length=128)
    client_secret: str | None = Field(default=None, max_length=256)
    refresh_token: str | None = Field(default=None, max_length=256)


class RevokeForm(NoNul):
    """RFC 7009 revocation request: an access or refresh token."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=4096)
    token_type_hint: str | None = Field(default=None, max_length=32)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    scope: str
    refresh_token: str | None = None


class RevokeResponse(BaseModel):
    revoked: bool


class MeResponse(Output):
    id: uuid.UUID
    kind: str
    username: str | None = None
    client_id: str | None = None
    role: str
    scopes: list[str]
