"""Every query of login sessions, refresh tokens and second factors."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from csoapi.auth.models import AuthSession, RecoveryCode, RefreshToken, TotpFactor
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


class FactorRepository(Repository[TotpFactor]):
    """A person's TOTP factor and recovery codes."""

    model = TotpFactor

    def factor(self, user_id: uuid.UUID, *, for_update: bool = False) -> TotpFactor | None:
        query = sa.select(TotpFactor).where(TotpFactor.user_id == user_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def remove(self, user_id: uuid.UUID) -> bool:
        self.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        gone = self.session.execute(sa.delete(TotpFactor).where(TotpFactor.user_id == user_id))
        return bool(gone.rowcount)

    def replace_recovery_codes(self, user_id: uuid.UUID, digests: list[str]) -> None:
        self.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        self.session.add_all(RecoveryCode(user_id=user_id, digest=d) for d in digests)
        self.session.flush()

    def use_recovery_code(self, user_id: uuid.UUID, digest: str, now: datetime) -> bool:
        """Spend one unused code: True exactly once per code, also when raced."""
        result = self.session.execute(
            sa.update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.digest == digest,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(result.rowcount)

    def unused_recovery_codes(self, user_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(
                sa.select(sa.func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
            )
            or 0
        )
