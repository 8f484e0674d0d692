"""Login sessions and their refresh tokens.

A session is one sign-in (or one client_credentials grant). Every access token names its
session; revoking the session (logout, refresh-token reuse, deactivation) ends every token
made under it at once. Refresh tokens are stored as SHA-256 hashes and used once each.

A session keeps the scope it was granted: a refresh issues that grant again (narrowed to
what the account's role allows now), never more (RFC 6749 §6). Sessions made before the
column existed have none and refresh into their role's scopes, as they did then.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import created_field, id_field, utc_column


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_session"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="CASCADE"
    )
    client_id: uuid.UUID | None = Field(
        default=None, foreign_key="api_client.id", index=True, ondelete="CASCADE"
    )
    created_at: datetime = created_field()
    expires_at: datetime = utc_column()
    revoked_at: datetime | None = utc_column(nullable=True)
    revoked_reason: str | None = Field(default=None, max_length=64)
    # The granted scopes, space-separated and sorted, as the token response said them.
    scope: str | None = Field(default=None, sa_type=sa.Text)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_token"

    id: uuid.UUID = id_field()
    session_id: uuid.UUID = Field(foreign_key="auth_session.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = created_field()
    expires_at: datetime = utc_column()
    used_at: datetime | None = utc_column(nullable=True)


class TotpFactor(SQLModel, table=True):
    """A person's TOTP second factor (RFC 6238): its secret sealed at rest (``auth.totp``),
    pending until a first code confirms it, and the last time step used (each once)."""

    __tablename__ = "mfa_totp"

    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    sealed_secret: str = Field(max_length=255)
    created_at: datetime = created_field()
    confirmed_at: datetime | None = utc_column(nullable=True)
    last_step: int | None = Field(default=None, sa_type=sa.BigInteger)


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for the authenticator (a lost phone); SHA-256 only."""

    __tablename__ = "mfa_recovery_code"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    digest: str = Field(max_length=64, unique=True)
    used_at: datetime | None = utc_column(nullable=True)
