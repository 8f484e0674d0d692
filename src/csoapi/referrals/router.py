"""/api/v1/referrals: referrals of people to services, with consent, the closed loop with
the provider, follow-ups, disclosures and the FHIR view.

The reads and the status change are shared by staff (referrals:read / referrals:write:
CSOs and sergeants) and the receiving provider's system (referrals:provider): those routes
declare no single scope, and the service refuses (403) a caller holding neither."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.referrals.reads import ReferralReads
from csoapi.referrals.schemas import (
    ConsentIn,
    DisclosureRead,
    FollowUpIn,
    HandOff,
    HandOffRead,
    ProviderReferralRead,
    PurgeIn,
    ReferralCreate,
    ReferralRead,
    RevokeIn,
    StatusChange,
)
from csoapi.referrals.states import Status

router = APIRouter(prefix="/referrals", tags=["referrals"])
calls_router = APIRouter(prefix="/calls", tags=["referrals"])
Referrer = carrier(ReferralReads, "referrals:write", idempotency="optional")
Writer = carrier(ReferralReads, "referrals:write")
Reader = carrier(ReferralReads, "referrals:read")
HandOver = carrier(ReferralReads, "referrals:write", "calls:write", idempotency="optional")
# Staff (referrals:read/write) or the provider's system (referrals:provider): checked in
# the service.
Shared = carrier(ReferralReads)
AnyRead = ReferralRead | ProviderReferralRead
SHARED = (
    " Staff (referrals:read or referrals:write) or the receiving provider (referrals:provider)."
)


def _one(svc: ReferralReads, row: Any, status: int = 200) -> Reply:
    body = svc.after_change(row)
    if status == 201:
        return created(body, location=f"/api/v1/referrals/{row.id}", version=row.version)
    return ok(body, version=row.version)


@router.post(
    "",
    operation_id="referrals_create",
    description="Refers a person to a service: minimal person data, the `needs`, the "
    "`service_id`, and consent. Without consent in force naming the provider's "
    "organization it stays a `draft` (sending it is a 409 `consent_required`); some "
    "needs require written consent (422 `written_consent_required`). Emits "
    "`referral.status_changed` once requested; events carry no personal data.",
    summary="Refer a person to a service (draft, or requested with consent)",
    status_code=201,
    response_model=ReferralRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def create_referral(body: ReferralCreate, unit: Referrer) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.create(body), 201))


@router.get(
    "",
    operation_id="referrals_list",
    summary="Referrals, newest first; the CSO's worklist with follow_up_due_before",
    description="A provider sees only the referrals sent to its organization with consent in force."
    + SHARED,
    response_model=Page[AnyRead],
    responses=error_responses(401, 403, 422),
)
async def list_referrals(
    unit: Shared,
    status: Annotated[Status | None, Query()] = None,
    call_id: Annotated[uuid.UUID | None, Query()] = None,
    follow_up_due_before: Annotated[Timestamp | None, Query()] = None,
    stale: Annotated[
        bool | None, Query(description="No status change for the stale period")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: ReferralReads) -> Page[Any]:
        items, nxt = svc.page(
            status=status,
            call_id=call_id,
            follow_up_due_before=follow_up_due_before,
            stale=stale,
            limit=limit,
            cursor=cursor,
        )
        return Page[AnyRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{referral_id}",
    operation_id="referrals_get",
    summary="One referral (the read is audited; a provider's is a disclosure)",
    description=SHARED.strip(),
    response_model=AnyRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_referral(referral_id: uuid.UUID, unit: Shared) -> Response:
    def work(svc: ReferralReads) -> Reply:
        body = svc.get(referral_id)
        return ok(body, version=body.version)

    return await unit.run(work)


@router.post(
    "/{referral_id}/status",
    operation_id="referrals_status",
    summary="Move a referral (requester: requested, cancelled, entered_in_error; provider: rest)",
    description=SHARED.strip(),
    response_model=AnyRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def change_status(
    referral_id: uuid.UUID, body: StatusChange, unit: Shared, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.change_status(referral_id, body, if_match)))


@router.post(
    "/{referral_id}/consent",
    operation_id="referrals_consent",
    description="Records the person's consent (verbal or written, purpose, recipient "
    "organizations, when, until when); it replaces the one in force. An expired one "
    "is a 422 `consent_expired`; a closed referral takes none (409 "
    "`referral_closed`).",
    summary="Record the person's consent (it replaces the one in force)",
    response_model=ReferralRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def give_consent(
    referral_id: uuid.UUID, body: ConsentIn, unit: Writer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.give_consent(referral_id, body, if_match)))


@router.post(
    "/{referral_id}/consent/revoke",
    operation_id="referrals_consent_revoke",
    description="Revokes the consent in force (409 `no_consent` if none is): from now on the "
    "provider no longer sees the referral.",
    summary="Revoke the consent in force: the provider no longer sees the referral",
    response_model=ReferralRead,
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def revoke_consent(
    referral_id: uuid.UUID,
    unit: Writer,
    body: RevokeIn | None = None,
    if_match: IfMatchHeader = None,
) -> Response:
    reason = body.reason if body else None
    return await unit.run(lambda svc: _one(svc, svc.revoke_consent(referral_id, reason, if_match)))


@router.post(
    "/{referral_id}/follow-ups",
    operation_id="referrals_follow_up",
    description="Records a follow-up (`due_at`, `outcome`, `notes`); due ones make the CSO's "
    "worklist (`GET /referrals?follow_up_due_before=`).",
    summary="Record a follow-up (due_at, outcome, notes)",
    status_code=201,
    response_model=ReferralRead,
    responses=error_responses(401, 403, 404, 422),
)
async def follow_up(referral_id: uuid.UUID, body: FollowUpIn, unit: Referrer) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.follow_up(referral_id, body), 201))


@router.get(
    "/{referral_id}/disclosures",
    operation_id="referrals_disclosures",
    description="Every disclosure of the referral to a provider (each provider read is one), "
    "for the person's right to know who saw what.",
    summary="Every disclosure of the referral to a provider",
    response_model=Page[DisclosureRead],
    responses=error_responses(401, 403, 404, 422),
)
async def disclosures(
    referral_id: uuid.UUID,
    unit: Reader,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: ReferralReads) -> Page[DisclosureRead]:
        items, nxt = svc.disclosures(referral_id, limit=limit, cursor=cursor)
        return Page[DisclosureRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{referral_id}/fhir",
    operation_id="referrals_fhir",
    summary="The referral as FHIR R4 (SDOHCC): a Bundle of ServiceRequest, Task, Patient, Consent",
    description=SHARED.strip(),
    responses=error_responses(401, 403, 404, 422),
)
async def fhir_view(referral_id: uuid.UUID, unit: Shared) -> Response:
    return await unit.run(lambda svc: svc.fhir_bundle(referral_id))


@router.post(
    "/{referral_id}/purge",
    operation_id="referrals_purge",
    description="Removes a closed referral's personal data (a sergeant: 403 `sergeant_only`; "
    "409 `referral_not_closed` while open); the record that it existed, and its "
    "audit trail, stay.",
    summary="Remove a closed referral's personal data (sergeant); the record of it stays",
    response_model=ReferralRead,
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def purge(
    referral_id: uuid.UUID, body: PurgeIn, unit: Writer, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.purge(referral_id, body.reason, if_match)))


@calls_router.post(
    "/{call_id}/hand-off",
    operation_id="referrals_hand_off",
    description="A warm hand-off from a call: clears the call with disposition `REFERRED` and "
    "links its referrals, the ones named or one made in the same request (422 "
    "`no_referrals` with neither; a referral of another call, 422 `call_mismatch`).",
    summary="Warm hand-off: clear the call REFERRED and link its referrals (named, or made now)",
    response_model=HandOffRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def hand_off(call_id: uuid.UUID, body: HandOff, unit: HandOver) -> Response:
    def work(svc: ReferralReads) -> Reply:
        call, linked = svc.hand_off(call_id, body)
        read = HandOffRead(
            call_id=call.id,
            call_status=call.status,
            disposition=call.disposition,
            referrals=svc.staff(linked),
        )
        return ok(read)

    return await unit.run(work)
