"""POST /auth/token, POST /auth/revoke, GET /auth/me."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from csoapi.auth.schemas import MeResponse, RevokeForm, RevokeResponse, TokenForm, TokenResponse
from csoapi.auth.service import AuthService
from csoapi.core.context import AnonymousContextDep
from csoapi.core.db import SessionDep
from csoapi.core.errors import BadRequest, Unauthorized, error_responses
from csoapi.core.responses import respond
from csoapi.core.security import Scoped

router = APIRouter(prefix="/auth", tags=["auth"])
AnyPrincipal = Scoped()
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def auth_service(session: SessionDep, ctx: AnonymousContextDep) -> AuthService:
    return AuthService(session, ctx)


AuthServiceDep = Annotated[AuthService, Depends(auth_service)]


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
            headers={"WWW-Authenticate": "Basic"},
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise Unauthorized(
            "Malformed Basic credentials",
            code="invalid_client",
            error="invalid_client",
            headers={"WWW-Authenticate": "Basic"},
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
    description="Sign-ins are throttled per source address, per username and overall: "
    "past a budget the answer is 429 `login_throttled` with `Retry-After`, before any "
    "password is checked (and such a refusal does not count toward the account's lockout).",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 413, 422, 429),
)
def token(form: Annotated[TokenForm, Form()], request: Request, svc: AuthServiceDep) -> Response:
    grant = form.grant_type
    if grant == "password":
        result = svc.password_grant(
            _required(form.username, "username"), _required(form.password, "password"), form.scope
        )
    elif grant == "client_credentials":
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
        result = svc.client_credentials_grant(client_id, secret, form.scope)
    elif grant == "refresh_token":
        result = svc.refresh_grant(_required(form.refresh_token, "refresh_token"), form.scope)
    else:
        raise BadRequest(
            "grant_type must be password, client_credentials or refresh_token",
            code="unsupported_grant_type",
            error="unsupported_grant_type",
        )
    return respond(result, headers=NO_STORE)


@router.post(
    "/revoke",
    operation_id="auth_revoke",
    summary="Revoke an access or refresh token, ending its sign-in (RFC 7009)",
    response_model=RevokeResponse,
    responses=error_responses(413, 422),
)
def revoke(form: Annotated[RevokeForm, Form()], svc: AuthServiceDep) -> RevokeResponse:
    return RevokeResponse(revoked=svc.revoke(form.token))


@router.get(
    "/me",
    operation_id="auth_me",
    summary="Who the bearer token belongs to, with its role and current scopes",
    response_model=MeResponse,
    responses=error_responses(401),
)
def me(principal: AnyPrincipal) -> MeResponse:
    return AuthService.me(principal)
