"""Sign-in, token rotation, revocation and lockout."""

from __future__ import annotations

import base64
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from jose import jwt
from jose.exceptions import JOSEError
from sqlmodel import Session

from csoapi.auth import mfa
from csoapi.auth.models import AuthSession, RefreshToken
from csoapi.auth.repository import AuthRepository, FactorRepository
from csoapi.auth.schemas import MeResponse, TokenResponse
from csoapi.auth.throttle import Attempt, SignInThrottle
from csoapi.clients.repository import ClientRepository
from csoapi.core import audit
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.errors import BadRequest, Unauthorized
from csoapi.core.models import utcnow
from csoapi.core.passwords import POLICY, digest_matches, token_digest, verify_password
from csoapi.core.scopes import ENROLMENT_SCOPE, scopes_for
from csoapi.core.security import ALGORITHMS, Principal, PrincipalKind, issue_access_token
from csoapi.users.models import User
from csoapi.users.repository import UserRepository

INVALID_GRANT = "Invalid credentials, or the account is temporarily locked after repeated failures"


def _invalid_grant(detail: str = INVALID_GRANT, *, persist: bool = True) -> BadRequest:
    # RFC 6749 §5.2: a grant that is invalid, expired or revoked (a wrong password, a locked
    # account, a used refresh token) is a 400 with error=invalid_grant.
    return BadRequest(detail, code="invalid_grant", persist=persist, error="invalid_grant")


def _successor(settings: Settings, refresh_token: str) -> str:
    """The refresh token that rotating ``refresh_token`` gives: an HMAC of it under a key
    derived from the signing key. As unpredictable as a random one to anyone without the
    key, yet the same on every rotation of the same token, which lets a retry within the
    grace receive it again though only hashes of refresh tokens are kept."""
    key = hmac.new(settings.signing_key().encode(), b"csoapi.refresh-successor", "sha256")
    mac = hmac.new(key.digest(), refresh_token.encode("utf-8", "surrogatepass"), "sha256")
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def _scope_text(scopes: frozenset[str]) -> str:
    return " ".join(sorted(scopes))


class AuthService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.settings = ctx.settings
        self.repo = AuthRepository(session)
        self.users = UserRepository(session)
        self.clients = ClientRepository(session)
        self.throttle = SignInThrottle(session, ctx)
        self.factors = FactorRepository(session)

    # -- grants ---------------------------------------------------------------------------
    def password_grant(
        self, username: str, password: str, scope: str | None, otp: str | None = None
    ) -> TokenResponse:
        now = utcnow()
        attempt = self.throttle.password(username)
        self.throttle.admit(attempt, attempt.first, now)  # before any read or hash
        user = self.users.by_username(username.strip().lower(), for_update=True)
        if user is not None:
            # Attempts at one account take turns on its row lock: checked again, exactly, so
            # that concurrent attempts from one source cannot pass the budget together.
            self.throttle.admit(attempt, attempt.account, now)
        password_ok = verify_password(self.settings, user.password_hash if user else None, password)
        if user is None:
            self.throttle.failed(attempt, now)
            audit.record(
                self.session,
                self.ctx,
                "auth.login",
                outcome="failed",
                detail={"reason": "unknown_user"},
            )
            raise _invalid_grant()
        if user.locked_until is not None and user.locked_until > now:
            self.throttle.failed(attempt, now)
            self._audit_login(user, "locked")
            raise _invalid_grant()
        if not password_ok or not user.active:
            self.throttle.failed(attempt, now)
            self._register_failure(user)
            self._audit_login(user, "failed" if password_ok is False else "inactive")
            raise _invalid_grant()
        granted = self._second_factor(user, otp, attempt, now) or self._granted(
            scopes_for(user.role), scope
        )
        self.throttle.succeeded(attempt, now)
        user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
        auth_session = AuthSession(
            user_id=user.id,
            expires_at=now + timedelta(hours=POLICY.sign_in_max_hours),  # refreshed or not
            scope=_scope_text(granted),
        )
        self.repo.add(auth_session)
        refresh = self._new_refresh(auth_session)
        self._audit_login(user, "success")
        return self._token_response("user", user.id, user.role, granted, auth_session.id, refresh)

    def client_credentials_grant(
        self, client_id: str, client_secret: str, scope: str | None
    ) -> TokenResponse:
        attempt = self.throttle.client()
        self.throttle.admit(attempt, attempt.first, utcnow())
        client = self.clients.by_client_id(client_id)
        if (
            client is None
            or not digest_matches(client.secret_hash, client_secret)
            or not client.active
        ):
            self.throttle.failed(attempt, utcnow())
            audit.record(
                self.session,
                self.ctx,
                "auth.client_token",
                outcome="failed",
                entity_type="api_client",
                entity_id=client.id if client else None,
            )
            # RFC 6749 §5.2: 401, with the scheme clients authenticate with here (Basic).
            raise Unauthorized(
                "Invalid client credentials",
                code="invalid_client",
                error="invalid_client",
                persist=True,
                headers={"WWW-Authenticate": 'Basic realm="csoapi"'},
            )
        granted = self._granted(scopes_for(client.kind), scope)
        now = utcnow()
        auth_session = AuthSession(
            client_id=client.id,
            expires_at=now + timedelta(minutes=self.settings.access_token_minutes),
            scope=_scope_text(granted),
        )
        self.repo.add(auth_session)
        return self._token_response(
            "client", client.id, client.kind, granted, auth_session.id, None
        )

    def refresh_grant(self, refresh_token: str, scope: str | None) -> TokenResponse:
        now = utcnow()
        stored = self.repo.refresh_for_update(token_digest(refresh_token))
        if stored is None:
            raise _invalid_grant("Unknown or expired refresh token", persist=False)
        auth_session = self.repo.session_by_id(stored.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            raise _invalid_grant("This sign-in has ended; sign in again", persist=False)
        successor = _successor(self.settings, refresh_token)
        if stored.used_at is not None and not self._retry_within_grace(stored, successor, now):
            # Reuse of a rotated token: someone else may hold it. End the whole family.
            self.repo.revoke_session(auth_session.id, "refresh_token_reuse", now)
            audit.record(
                self.session,
                self.ctx,
                "auth.refresh_reuse",
                outcome="revoked",
                entity_type="auth_session",
                entity_id=auth_session.id,
            )
            raise _invalid_grant("Refresh token already used; this sign-in has been ended")
        if stored.expires_at <= now or auth_session.expires_at <= now:
            raise _invalid_grant("Unknown or expired refresh token", persist=False)
        user = self.users.get(auth_session.user_id) if auth_session.user_id else None
        if user is None or not user.active:
            raise _invalid_grant("Account inactive", persist=False)
        granted = self._granted(self._refreshable(auth_session, user.role), scope, "this sign-in")
        if stored.used_at is None:
            stored.used_at = now
            self.repo.flush()
            self._add_refresh(auth_session, successor)
        return self._token_response("user", user.id, user.role, granted, auth_session.id, successor)

    def _retry_within_grace(self, stored: RefreshToken, successor: str, now: datetime) -> bool:
        """A rotated token presented again within the grace, while its successor is still
        unused, is the same client retrying (a lost reply; several requests of one app
        refreshing at once): it gets that same successor again, so the family keeps exactly
        one live refresh token and reuse detection stays exact. The successor is derived
        from the presented token (``_successor``), so nothing but its hash is stored."""
        grace = timedelta(seconds=self.settings.refresh_reuse_grace_seconds)
        if stored.used_at is None or now - stored.used_at > grace:
            return False
        nxt = self.repo.refresh_for_update(token_digest(successor))
        return nxt is not None and nxt.session_id == stored.session_id and nxt.used_at is None

    # -- revoke / me ----------------------------------------------------------------------
    def revoke(self, token: str) -> bool:
        """RFC 7009: end the sign-in a token belongs to. Unknown tokens are not an error."""
        now = utcnow()
        sid: uuid.UUID | None = None
        if token.count(".") == 2 and len(token) <= 4096:
            try:
                claims = jwt.decode(
                    token,
                    self.settings.signing_key(),
                    algorithms=ALGORITHMS,
                    audience=self.settings.jwt_audience,
                    issuer=self.settings.jwt_issuer,
                    options={"verify_exp": False},
                )
                sid = uuid.UUID(str(claims.get("sid")))
            except (JOSEError, ValueError, TypeError, AttributeError):
                sid = None
        else:
            stored = self.repo.refresh_for_update(token_digest(token))
            sid = stored.session_id if stored else None
        if sid is None:
            return False
        revoked = self.repo.revoke_session(sid, "revoked", now) > 0
        if revoked:
            audit.record(
                self.session, self.ctx, "auth.revoke", entity_type="auth_session", entity_id=sid
            )
        return revoked

    @staticmethod
    def me(principal: Principal) -> MeResponse:
        return MeResponse(
            id=principal.id,
            kind=principal.kind,
            username=principal.name if principal.is_user else None,
            client_id=None if principal.is_user else principal.name,
            role=principal.role,
            scopes=sorted(principal.scopes),
        )

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _granted(
        allowed: frozenset[str], scope: str | None, holder: str = "this account"
    ) -> frozenset[str]:
        """The requested scopes (all of ``allowed`` when none are named); any other is a 400."""
        if not scope or not scope.strip():
            return allowed
        requested = frozenset(scope.split())
        extra = requested - allowed
        if extra:
            raise BadRequest(
                f"Scope(s) not available to {holder}: {' '.join(sorted(extra))}",
                code="invalid_scope",
                error="invalid_scope",
            )
        return requested

    @staticmethod
    def _refreshable(auth_session: AuthSession, role: str) -> frozenset[str]:
        """What a refresh may grant (RFC 6749 §6): the sign-in's original grant, never more,
        and of that only what the account's role allows now (a role, or a role's scopes,
        changed since). Nothing left: the sign-in cannot be refreshed; signing in again
        grants the role's scopes afresh."""
        current = scopes_for(role)
        if auth_session.scope is None:  # a sign-in made before grants were kept
            return current
        effective = frozenset(auth_session.scope.split()) & current
        if not effective:
            raise _invalid_grant(
                "Nothing this sign-in was granted is available to the account now; sign in again",
                persist=False,
            )
        return effective

    def _second_factor(
        self, user: User, otp: str | None, attempt: Attempt, now: datetime
    ) -> frozenset[str] | None:
        """After the right password: a person with a factor must give a code (a wrong one
        counts toward the lockout like a wrong password); one without, where the policy
        requires a factor, gets only what enrolling one needs. None: the usual grant."""
        factor = self.factors.factor(user.id, for_update=True)
        if factor is not None and factor.confirmed_at is not None:
            if otp is None:
                raise BadRequest(  # RFC 6749 §5.2: the grant is incomplete, a 400
                    "This account signs in with a second factor: send 'otp', the code from "
                    "the authenticator app (or a recovery code)",
                    code="mfa_required",
                    error="invalid_grant",
                )
            if not mfa.passes(self.factors, self.settings, factor, otp, now):
                self.throttle.failed(attempt, now)
                self._register_failure(user)
                self._audit_login(user, "failed_second_factor")
                raise _invalid_grant()
            return None
        if mfa.second_factor_required(self.settings):
            return frozenset({ENROLMENT_SCOPE})
        return None

    def _register_failure(self, user: User) -> None:
        now = utcnow()
        window = timedelta(minutes=self.settings.lockout_window_minutes)
        if user.first_failed_at is None or now - user.first_failed_at > window:
            user.failed_logins, user.first_failed_at = 1, now
        else:
            user.failed_logins += 1
        if user.failed_logins >= self.settings.lockout_max_failures:
            user.locked_until = now + timedelta(minutes=self.settings.lockout_minutes)
            user.failed_logins, user.first_failed_at = 0, None
        self.users.flush()

    def _audit_login(self, user: User, outcome: str) -> None:
        audit.record(
            self.session,
            self.ctx,
            "auth.login",
            entity_type="user",
            entity_id=user.id,
            outcome=outcome,
        )

    def _new_refresh(self, auth_session: AuthSession) -> str:
        """The first refresh token of a sign-in: random. Its successors are derived."""
        return self._add_refresh(auth_session, secrets.token_urlsafe(32))

    def _add_refresh(self, auth_session: AuthSession, value: str) -> str:
        self.repo.add(
            RefreshToken(
                session_id=auth_session.id,
                token_hash=token_digest(value),
                expires_at=auth_session.expires_at,
            )
        )
        return value

    def _token_response(
        self,
        kind: PrincipalKind,
        subject: uuid.UUID,
        role: str,
        scopes: frozenset[str],
        sid: uuid.UUID,
        refresh: str | None,
    ) -> TokenResponse:
        issued = issue_access_token(
            self.settings, subject=subject, kind=kind, role=role, scopes=scopes, session_id=sid
        )
        return TokenResponse(
            access_token=issued.token,
            expires_in=issued.expires_in,
            scope=_scope_text(scopes),
            refresh_token=refresh,
        )
