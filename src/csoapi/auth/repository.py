"""Every query of login sessions and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from csoapi.auth.models import AuthSession, RefreshToken
from csoapi.core.repository import Repository


class AuthRepository(Repository[AuthSession]):
    """Sign-ins (``AuthSession``, the main table) and their refresh tokens; ``add`` takes
    either."""

    model = AuthSession

    def session_by_id(self, sid: uuid.UUID) -> AuthSession | None:
        return self.session.get(AuthSession, sid)

    def refresh_for_update(self, token_hash: str) -> RefreshToken | None:
        return self.session.scalars(
            sa.select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        ).first()

    def revoke_session(self, sid: uuid.UUID, reason: str, now: datetime) -> int:
        result = self.session.execute(
            sa.update(AuthSession)
            .where(AuthSession.id == sid, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return int(result.rowcount or 0)

    def revoke_all_for(
        self,
        *,
        user_id: uuid.UUID | None = None,
        client_id: uuid.UUID | None = None,
        reason: str,
        now: datetime,
    ) -> int:
        cond = AuthSession.user_id == user_id if user_id else AuthSession.client_id == client_id
        result = self.session.execute(
            sa.update(AuthSession)
            .where(cond, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return int(result.rowcount or 0)
