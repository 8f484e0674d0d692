"""The sign-in behind a token, with its user or client, in one indexed lookup (the query
``core.security`` checks every request's principal with; wired in by the app factory)."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import sqlalchemy as sa

from csoapi.auth.models import AuthSession
from csoapi.clients.models import ApiClient
from csoapi.users.models import User


@functools.cache
def _query() -> sa.Select[Any]:
    """Built once: a statement reused with bound parameters skips SQLAlchemy's
    per-statement construction and cache-key work."""
    return (
        sa.select(
            AuthSession.revoked_at,
            AuthSession.expires_at,
            User.id,
            User.username,
            User.role,
            User.active,
            ApiClient.id,
            ApiClient.client_id,
            ApiClient.kind,
            ApiClient.active,
        )
        .select_from(AuthSession)
        .outerjoin(User, User.id == AuthSession.user_id)
        .outerjoin(ApiClient, ApiClient.id == AuthSession.client_id)
        .where(AuthSession.id == sa.bindparam("sid"))
    )


def session_row(session: Any, sid: uuid.UUID) -> Any:
    """(revoked_at, expires_at, user id, username, role, active, client pk, client_id, kind,
    active) of sign-in ``sid``, or None."""
    return session.connection().execute(_query(), {"sid": sid}).first()
