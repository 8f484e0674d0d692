"""A person's second factor: /api/v1/auth/mfa (status, enrol, confirm) and an administrator's
reset of a lost one, /api/v1/users/{user_id}/mfa/reset."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from csoapi.auth.mfa import MfaService
from csoapi.auth.schemas import ConfirmBody, EnrolmentResponse, FactorStatus, RecoveryCodes
from csoapi.core.carrier import Reply, carrier, ok
from csoapi.core.problems import error_responses

router = APIRouter(tags=["auth"])
Enrolling = carrier(MfaService, enrolment=True)  # any person, an enrolment-only token too
Admin = carrier(MfaService, "admin")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.get(
    "/auth/mfa",
    operation_id="auth_mfa_status",
    summary="Whether the caller has a second factor, and whether one is required",
    description="For people (a machine client gets 403). `required`: the account policy "
    "(production) or `CSOAPI_MFA_REQUIRED` makes every person sign in with one; until they "
    "enrol, their sign-in grants only `mfa:enrol`, which reaches these operations alone.",
    response_model=FactorStatus,
    responses=error_responses(401, 403),
)
async def mfa_status(unit: Enrolling) -> Response:
    return await unit.run(lambda svc: svc.status())


@router.post(
    "/auth/mfa/totp",
    operation_id="auth_mfa_enrol",
    summary="Enrol a TOTP authenticator app: its secret and otpauth:// URI, shown once",
    description="The factor is pending until `POST /auth/mfa/totp/confirm` with the app's "
    "first code; enrolling again before then replaces the secret. Once confirmed, only an "
    "administrator's reset replaces it (409 `mfa_already_enrolled`).",
    response_model=EnrolmentResponse,
    status_code=201,
    responses=error_responses(401, 403, 409),
)
async def mfa_enrol(unit: Enrolling) -> Response:
    return await unit.run(
        lambda svc: Reply(svc.enrol(), 201, location="/api/v1/auth/mfa", headers=NO_STORE)
    )


@router.post(
    "/auth/mfa/totp/confirm",
    operation_id="auth_mfa_confirm",
    summary="Confirm the enrolled app with its current code; get the recovery codes, once",
    description="A wrong code is 422 `invalid_otp`. On success every sign-in of the caller "
    "ends (they were made without the factor): sign in again with `otp`. The ten recovery "
    "codes are single-use and shown only in this answer.",
    response_model=RecoveryCodes,
    responses=error_responses(401, 403, 409, 422),
)
async def mfa_confirm(body: ConfirmBody, unit: Enrolling) -> Response:
    return await unit.run(lambda svc: ok(svc.confirm(body.code), headers=NO_STORE))


@router.post(
    "/users/{user_id}/mfa/reset",
    operation_id="users_mfa_reset",
    summary="Remove a person's second factor (a lost device); their sign-ins end",
    description="Administrators only. The person's next sign-in enrols a new factor "
    "(where one is required). 404 `user_not_found` when there is no such person; 409 "
    "`mfa_not_enrolled` when they have no factor.",
    response_model=FactorStatus,
    responses=error_responses(401, 403, 404, 409),
)
async def mfa_reset(user_id: uuid.UUID, unit: Admin) -> Response:
    return await unit.run(lambda svc: svc.reset(user_id))
