"""Access tokens, the principal they name, and scope checks (the route's entry to all of it
is ``core.carrier``).

Tokens are HS256 JWTs made and checked here only, with python-jose and a pinned algorithm
list (never ``none``, never the token's own ``alg``), pinned ``iss``/``aud``, explicit
presence checks for ``exp``, ``iat``, ``sub``, ``jti`` and ``sid``, and ``exp - iat`` no
longer than the configured access-token lifetime. Anything wrong with a
token is a 401 problem with ``WWW-Authenticate: Bearer``; nothing about a token is a 500.

Every access token names its login session (``sid``). Checking a token costs one indexed
lookup: the session row joined to its user or client, which answers at once whether the
session was revoked, the account deactivated, or the role changed since the token was made.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2
from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

from csoapi.core.clock import CLOCK_SKEW
from csoapi.core.config import Settings
from csoapi.core.errors import Forbidden, Unauthorized
from csoapi.core.models import utcnow
from csoapi.core.scopes import SCOPE_DESCRIPTIONS, scopes_for

ALGORITHM = "HS256"
ALGORITHMS = [ALGORITHM]
MAX_TOKEN_BYTES = 4096
REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti", "aud", "iss", "sid", "kind", "role", "scope")
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret

PrincipalKind = Literal["user", "client"]

oauth2_scheme = OAuth2(
    flows=OAuthFlows(
        password=OAuthFlowPassword(
            tokenUrl=TOKEN_URL, refreshUrl=TOKEN_URL, scopes=SCOPE_DESCRIPTIONS
        ),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes=SCOPE_DESCRIPTIONS),
    ),
    scheme_name="OAuth2",
    description="Bearer JWT from POST /api/v1/auth/token (password, client_credentials or "
    "refresh_token grant). Access tokens live at most 15 minutes; a signed-in user renews "
    "with the refresh_token grant (refresh tokens rotate), a machine client asks again. "
    "Tokens follow RFC8725 (JWT Best Current Practices): one algorithm, pinned by the "
    "server (a token naming another is refused, `none` included); `iss`, `aud`, `exp`, "
    "`nbf`, `iat`, `jti` and `sub` required and checked; JWE and oversized tokens refused.",
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person (user) or a machine client, with its current scopes."""

    kind: PrincipalKind
    id: uuid.UUID
    name: str
    role: str
    scopes: frozenset[str]
    session_id: uuid.UUID
    token_id: str

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_user(self) -> bool:
        return self.kind == "user"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int
    jti: str


def issue_access_token(
    settings: Settings,
    *,
    subject: uuid.UUID,
    kind: PrincipalKind,
    role: str,
    scopes: frozenset[str],
    session_id: uuid.UUID,
    now: datetime | None = None,
) -> IssuedToken:
    now = now or utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    jti = secrets.token_urlsafe(16)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(subject),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": jti,
        "sid": str(session_id),
        "kind": kind,
        "role": role,
        "scope": " ".join(sorted(scopes)),
    }
    token = jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)
    return IssuedToken(token=token, expires_in=int(lifetime.total_seconds()), jti=jti)


def decode_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """Verify a bearer token's form, signature and claims; any fault is a 401."""
    if len(token.encode("utf-8", "surrogatepass")) > MAX_TOKEN_BYTES:
        raise Unauthorized("Token too large", code="invalid_token")
    if token.count(".") != 2:
        # Five segments is a JWE; this API only accepts signed JWTs (JWS compact form).
        raise Unauthorized("Malformed token", code="invalid_token")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("Token algorithm not accepted", code="invalid_token")
        claims = jwt.decode(
            token,
            settings.signing_key(),
            algorithms=ALGORITHMS,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "require_jti": True,
                "require_aud": True,
                "require_iss": True,
                "leeway": 0,
            },
        )
    except Unauthorized:
        raise
    except ExpiredSignatureError:
        raise Unauthorized(
            "Token expired: get a new one (refresh_token grant, or sign in again)",
            code="invalid_token",
        ) from None
    except JWTClaimsError as exc:
        # Wrong audience or issuer (a token minted for another system or installation).
        raise Unauthorized(f"Token not for this API: {exc}", code="invalid_token") from None
    except (JOSEError, ValueError, TypeError, KeyError, AttributeError):
        # Every other way python-jose (or the base64/JSON under it) rejects a token: a bad
        # signature (another key signed it) or a token that does not decode.
        raise Unauthorized(
            "Token signature invalid or token unreadable", code="invalid_token"
        ) from None
    if not isinstance(claims, dict) or any(claims.get(c) in (None, "") for c in REQUIRED_CLAIMS):
        raise Unauthorized("Token lacks required claims", code="invalid_token")
    iat = claims["iat"]
    if not isinstance(iat, int | float) or iat > (utcnow() + CLOCK_SKEW).timestamp():
        raise Unauthorized("Token issued in the future", code="invalid_token")
    # Bounded by when it was issued, not only by its own ``exp``: a correctly signed token
    # that claims to live longer than an access token may (one minted elsewhere with the
    # key, or under a longer setting) is refused rather than honoured until its ``exp``.
    exp = claims["exp"]  # python-jose accepts a numeric string here
    if not isinstance(exp, int | float) or exp - iat > settings.access_token_minutes * 60:
        raise Unauthorized("Token lifetime exceeds the access-token maximum", code="invalid_token")
    return claims


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# (session, session id) -> the sign-in's row joined to its user or client, or None: the
# auth feature's query (``csoapi.auth.principals``), given to the app by its factory so that
# core needs no feature's tables.
PrincipalLookup = Callable[[Any, uuid.UUID], Any]


def _load_principal(lookup: PrincipalLookup, session: Any, claims: dict[str, Any]) -> Principal:
    try:
        sid = uuid.UUID(str(claims["sid"]))
        sub = uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise Unauthorized("Invalid token subject", code="invalid_token") from None
    row = lookup(session, sid)
    if row is None:
        raise Unauthorized("Session not found", code="invalid_token")
    (revoked_at, expires_at, uid, username, urole, uactive, cid, client_id, ckind, cactive) = row
    if revoked_at is not None or expires_at <= utcnow():
        raise Unauthorized("Session ended", code="invalid_token")
    kind = claims["kind"]
    if kind == "user" and uid is not None and _as_uuid(uid) == sub and uactive:
        name, role = username, urole
    elif kind == "client" and cid is not None and _as_uuid(cid) == sub and cactive:
        name, role = client_id, ckind
    else:
        raise Unauthorized("Account inactive or token subject mismatch", code="invalid_token")
    if claims["role"] != role:
        raise Unauthorized("Role changed since this token was issued", code="invalid_token")
    granted = frozenset(str(claims["scope"]).split()) & scopes_for(role)
    return Principal(
        kind=kind,
        id=sub,
        name=name,
        role=role,
        scopes=granted,
        session_id=sid,
        token_id=str(claims["jti"]),
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'", code="invalid_token")
    return value.strip()


def token_claims(request: Request) -> dict[str, Any]:
    """The bearer token's verified claims (no database): any fault is a 401."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Bearer token required")
    return decode_access_token(token, request.app.state.settings)


def principal_for(request: Request, session: Any, claims: dict[str, Any]) -> Principal:
    """The caller the verified claims name, as the database has them now."""
    principal = _load_principal(request.app.state.principal_lookup, session, claims)
    request.state.principal = principal
    return principal


def _insufficient(missing: list[str]) -> str:
    return f'Bearer error="insufficient_scope", scope="{" ".join(missing)}"'


def check_scopes(principal: Principal, scopes: Sequence[str]) -> Principal:
    """403 ``insufficient_scope`` unless the principal holds every scope named."""
    missing = [s for s in scopes if s not in principal.scopes]
    if missing:
        raise Forbidden(
            f"This operation needs the scope(s): {' '.join(missing)}",
            code="insufficient_scope",
            headers={"WWW-Authenticate": _insufficient(missing)},
        )
    return principal


def claims_scopes(claims: dict[str, Any], scopes: Sequence[str]) -> bool:
    """Whether a verified token claims every scope named (a principal's current scopes are
    a subset of its token's: a token that does not claim them is refused whatever the
    database says)."""
    return set(scopes).issubset(str(claims.get("scope", "")).split())
