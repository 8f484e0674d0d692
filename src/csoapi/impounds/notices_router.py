"""/api/v1/impounds: owner notices and the post-storage hearing."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.problems import error_responses
from csoapi.impounds.notices import NoticeService
from csoapi.impounds.schemas import (
    HearingOutcome,
    HearingRequest,
    HearingSchedule,
    ImpoundRead,
    NoticeCreate,
    NoticeOutcome,
    NoticeRead,
)

router = APIRouter(prefix="/impounds", tags=["impounds"])
Reader = carrier(NoticeService, "impounds:read")
Records = carrier(NoticeService, "impounds:release")
Mailer = carrier(NoticeService, "impounds:release", idempotency="optional")
Officer = carrier(NoticeService, "impounds:holds")
CHANGE = error_responses(401, 403, 404, 409, 422)


def _impound(svc: NoticeService, i) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.view(i), version=i.version)


@router.post(
    "/{impound_id}/notices",
    operation_id="impounds_notice_mail",
    description="Records a notice of storage mailed to the registered or legal owner (`to`, "
    "`method`, `mailed_at`); its document and PDF are generated and their SHA-256 "
    "kept, and it meets the notice deadline.",
    summary="Record a notice of storage mailed to the registered or legal owner",
    status_code=201,
    response_model=NoticeRead,
    responses=CHANGE,
)
async def mail_notice(impound_id: uuid.UUID, body: NoticeCreate, unit: Mailer) -> Response:
    def work(svc: NoticeService) -> Reply:
        n = svc.mail(impound_id, body)
        location = f"/api/v1/impounds/{impound_id}/notices/{n.id}"
        return created(NoticeRead.model_validate(n), location=location)

    return await unit.run(work)


@router.get(
    "/{impound_id}/notices",
    operation_id="impounds_notices",
    description="The impound's notices as mailed, each with its outcome and the SHA-256 of its "
    "document and PDF.",
    summary="The impound's notices, as mailed, with their SHA-256",
    response_model=list[NoticeRead],
    responses=error_responses(401, 403, 404, 422),
)
async def list_notices(impound_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(
        lambda svc: [NoticeRead.model_validate(n) for n in svc.notices(impound_id)]
    )


@router.get(
    "/{impound_id}/notices/{notice_id}",
    operation_id="impounds_notice_get",
    description="One notice: its document (canonical JSON) and its SHA-256, to prove what was "
    "sent.",
    summary="One notice: its document and the SHA-256 of its canonical JSON",
    response_model=NoticeRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_notice(impound_id: uuid.UUID, notice_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: NoticeRead.model_validate(svc.notice(impound_id, notice_id)))


@router.get(
    "/{impound_id}/notices/{notice_id}/pdf",
    operation_id="impounds_notice_pdf",
    description="The notice as printed and mailed (application/pdf); its SHA-256 is the "
    "notice's `pdf_sha256`.",
    summary="The notice as printed (PDF); its SHA-256 is the notice's `pdf_sha256`",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(401, 403, 404, 422)},
)
async def notice_pdf(impound_id: uuid.UUID, notice_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(
        lambda svc: Response(svc.pdf(impound_id, notice_id), media_type="application/pdf")
    )


@router.post(
    "/{impound_id}/notices/{notice_id}/outcome",
    operation_id="impounds_notice_outcome",
    description="Records that the notice was `delivered` or `returned` undeliverable, once (409 "
    "`notice_outcome_recorded`) and not before it was mailed (422 "
    "`before_mailing`).",
    summary="Record that a notice was delivered or returned undeliverable",
    response_model=NoticeRead,
    responses=CHANGE,
)
async def notice_outcome(
    impound_id: uuid.UUID, notice_id: uuid.UUID, body: NoticeOutcome, unit: Records
) -> Response:
    return await unit.run(
        lambda svc: NoticeRead.model_validate(svc.outcome(impound_id, notice_id, body))
    )


@router.post(
    "/{impound_id}/hearing",
    operation_id="impounds_hearing_request",
    description="Records the owner's request for a post-storage hearing, within the window the "
    "rule pack gives (409 `hearing_window_closed`), once (409 `hearing_requested`); "
    "impounds that have no hearing answer 409 `no_hearing`.",
    summary="Record the owner's request for a post-storage hearing (within the window)",
    response_model=ImpoundRead,
    responses=CHANGE,
)
async def request_hearing(impound_id: uuid.UUID, body: HearingRequest, unit: Records) -> Response:
    return await unit.run(lambda svc: _impound(svc, svc.request_hearing(impound_id, body)))


@router.post(
    "/{impound_id}/hearing/schedule",
    operation_id="impounds_hearing_schedule",
    description="Schedules the requested hearing (records): not before the request (422 "
    "`before_request`), not beyond the rule pack's limit (422 `hearing_too_far`).",
    summary="Schedule the post-storage hearing",
    response_model=ImpoundRead,
    responses=CHANGE,
)
async def schedule_hearing(impound_id: uuid.UUID, body: HearingSchedule, unit: Records) -> Response:
    return await unit.run(lambda svc: _impound(svc, svc.schedule(impound_id, body)))


@router.post(
    "/{impound_id}/hearing/outcome",
    operation_id="impounds_hearing_outcome",
    description="Decides the hearing `valid` or `invalid` with the reason, once it is held (409 "
    "`hearing_not_held`). Never by the sergeant who directed the storage, the "
    "impound's creator (403 `separation_of_duties`). `invalid` waives the tow and "
    "storage fees.",
    summary="Decide the hearing (a sergeant who did not direct the storage); `invalid` "
    "waives the tow and storage fees",
    response_model=ImpoundRead,
    responses=CHANGE,
)
async def decide_hearing(impound_id: uuid.UUID, body: HearingOutcome, unit: Officer) -> Response:
    return await unit.run(lambda svc: _impound(svc, svc.decide(impound_id, body)))
