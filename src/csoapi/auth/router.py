"""POST /auth/token, POST /auth/revoke, GET /auth/me."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from csoapi.auth.schemas import MeResponse, RevokeForm, RevokeResponse, TokenForm, TokenResponse
from csoapi.auth.service import AuthService
from csoapi.core.carrier import carrier, ok
from csoapi.core.errors import BadRequest, Unauthorized
from csoapi.core.problems import OAUTH_ERRORS, error_responses

router = APIRouter(prefix="/auth", tags=["auth"])
Public = carrier(AuthService, public=True)  # the sign-in itself: no token yet
AnyPrincipal = carrier(AuthService, enrolment=True)  # anyone signed in, enrolling too
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(
            "Malformed Basic credentials",
            code="invalid_client",
            error="invalid_client",
            headers={"WWW-Authenticate": 'Basic realm="csoapi"'},
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise Unauthorized(
            "Malformed Basic credentials",
            code="invalid_client",
            error="invalid_client",
            headers={"WWW-Authenticate": 'Basic realm="csoapi"'},
        )
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote(client_id), unquote(secret)


def _required(value: str | None, name: str) -> str:
    if not value:
        raise BadRequest(
            f"'{name}' is required for this grant", code="invalid_request", error="invalid_request"
        )
    return value


@router.post(
    "/token",
    operation_id="auth_token",
    summary="Get an access token (password, client_credentials or refresh_token grant)",
    description="No token needed: this is where tokens come from. People use "
    "`grant_type=password` (username, password; the answer carries a `refresh_token`), "
    "machine clients `client_credentials` (client_id and client_secret in the form or as "
    "HTTP Basic, not both), and `refresh_token` rotates a person's refresh token (a reused "
    "one ends the whole sign-in). `scope` narrows the grant to some of the role's scopes.\n\n"
    "Errors are problem+json **and** RFC 6749 §5.2 error responses: besides `code`, each "
    "carries `error`: `invalid_request` (400: a field missing, unknown, too long, or a body "
    "that is not a form), `invalid_grant` (400: wrong username or password, a locked or "
    "inactive account, an unknown, expired or reused refresh token), `invalid_client` (401, "
    "`WWW-Authenticate: Basic`: unknown client or wrong secret), `unsupported_grant_type` "
    "(400), `invalid_scope` (400: a scope the role or client kind does not hold). "
    "`unauthorized_client` is never sent: a client that authenticates may use "
    "client_credentials, its only grant.\n\n"
    "Sign-ins are throttled per source address, per username and overall: "
    "past a budget the answer is 429 `login_throttled` with `Retry-After`, before any "
    "password is checked (and such a refusal does not count toward the account's lockout).",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 413, 429),
    openapi_extra={OAUTH_ERRORS: True},
)
async def token(form: Annotated[TokenForm, Form()], request: Request, unit: Public) -> Response:
    grant = form.grant_type
    if grant == "password":
        username = _required(form.username, "username")
        password = _required(form.password, "password")
        return await unit.run(
            lambda svc: ok(
                svc.password_grant(username, password, form.scope, form.otp), headers=NO_STORE
            )
        )
    if grant == "client_credentials":
        basic = _basic_credentials(request)
        if basic is not None and (form.client_id or form.client_secret):
            raise BadRequest(
                "Send client credentials either as Basic auth or in the form, not both",
                code="invalid_request",
                error="invalid_request",
            )
        client_id, secret = basic or (
            _required(form.client_id, "client_id"),
            _required(form.client_secret, "client_secret"),
        )
        return await unit.run(
            lambda svc: ok(
                svc.client_credentials_grant(client_id, secret, form.scope), headers=NO_STORE
            )
        )
    if grant == "refresh_token":
        refresh = _required(form.refresh_token, "refresh_token")
        return await unit.run(
            lambda svc: ok(svc.refresh_grant(refresh, form.scope), headers=NO_STORE)
        )
    raise BadRequest(
        "grant_type must be password, client_credentials or refresh_token",
        code="unsupported_grant_type",
        error="unsupported_grant_type",
    )


@router.post(
    "/revoke",
    operation_id="auth_revoke",
    summary="Revoke an access or refresh token, ending its sign-in (RFC 7009)",
    description="No bearer token needed: holding the token is the right to end it. "
    "Revoking either token of a sign-in ends the sign-in (its access and refresh tokens "
    "stop working at once). An unknown token, or one whose sign-in has already "
    "ended, answers 200 `revoked: false` (RFC 7009 §2.2 makes it no error). "
    "A malformed request is a 400 with `error: invalid_request` "
    "(RFC 6749 §5.2) beside the problem members.",
    response_model=RevokeResponse,
    responses=error_responses(400, 413),
    openapi_extra={OAUTH_ERRORS: True},
)
async def revoke(form: Annotated[RevokeForm, Form()], unit: Public) -> Response:
    return await unit.run(lambda svc: RevokeResponse(revoked=svc.revoke(form.token)))


@router.get(
    "/me",
    operation_id="auth_me",
    description="The principal behind the token: `kind` (`user` or `client`), `id`, `username` "
    "or `client_id`, `role` (or client kind) and the scopes the token carries now "
    "(a role's scopes narrowed by the sign-in's `scope`). A token of a deactivated "
    "user or client is a 401.",
    summary="Who the bearer token belongs to, with its role and current scopes",
    response_model=MeResponse,
    responses=error_responses(401),
)
async def me(unit: AnyPrincipal) -> Response:
    return await unit.run(lambda svc: AuthService.me(svc.ctx.actor))
