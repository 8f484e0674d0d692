"""/api/v1/reports — crime, incident, collision and activity reports."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader, IfMatchRequired
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.core.schemas import Timestamp
from csoapi.reports.schemas import (
    ContactBody,
    ContactRead,
    ReleaseCopy,
    ReportCreate,
    ReportKind,
    ReportRead,
    ReportStatus,
    ReportSummary,
    ReportUpdate,
    ReturnBody,
    SupplementBody,
    SupplementRead,
)
from csoapi.reports.service import ReportFilters, ReportService

router = APIRouter(prefix="/reports", tags=["reports"])
Reader = carrier(ReportService, "reports:read")
Writer = carrier(ReportService, "reports:write")
Creator = carrier(ReportService, "reports:write", idempotency="optional")
Reviewer = carrier(ReportService, "reports:review")
Records = carrier(ReportService, "reports:records")
Exporter = carrier(ReportService, "reports:export")
E = (401, 403, 422)
W = error_responses(*E, 404, 409, 412)


def _full(svc: ReportService, r) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.view(r), version=r.version)


class ExportPage(BaseModel):
    items: list[ReleaseCopy]
    next_cursor: str | None


@router.post(
    "",
    operation_id="reports_create",
    description="Starts a `draft` of kind `incident`, `crime` (with a NIBRS `offense_code`), "
    "`collision` or `activity`. Only its author (and sergeants) see a draft. "
    "`call_id` links it to a call (422 `unknown_call`).",
    summary="Start a report (a draft)",
    status_code=201,
    response_model=ReportRead,
    responses=error_responses(*E),
)
async def create_report(body: ReportCreate, unit: Creator) -> Response:
    def work(svc: ReportService) -> Reply:
        r = svc.create(body)
        return created(svc.view(r), location=f"/api/v1/reports/{r.id}", version=r.version)

    return await unit.run(work)


@router.get(
    "",
    operation_id="reports_list",
    description="Keyset-paged work queues: `status=submitted` (sergeants' review), `approved` "
    "(records), `author=me&status=returned` (a CSO's corrections). Drafts are "
    "listed to their author and sergeants only. Every listing is one audit row.",
    summary="Work queues: ?status=submitted (sergeants), approved (records), "
    "author=me&status=returned (the CSO)",
    response_model=Page[ReportSummary],
    responses=error_responses(*E),
)
async def list_reports(
    unit: Reader,
    status: Annotated[ReportStatus | None, Query()] = None,
    author: Annotated[
        uuid.UUID | Literal["me"] | None, Query(description="A user id, or `me`")
    ] = None,
    kind: Annotated[ReportKind | None, Query()] = None,
    call_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: ReportService) -> Page[ReportSummary]:
        filters = ReportFilters(
            status=status.value if status else None,
            author_id=svc.ctx.actor.id if author == "me" else author,  # type: ignore[arg-type]
            kind=kind.value if kind else None,
            call_id=call_id,
        )
        rows, nxt = svc.page(filters, limit=limit, cursor=cursor)
        return Page[ReportSummary](
            items=[ReportSummary.model_validate(r) for r in rows], next_cursor=nxt
        )

    return await unit.run(work)


@router.get(
    "/export",
    operation_id="reports_export",
    description="For RMS vendors (`reports:export`): approved reports since `approved_since`, "
    "oldest approval first, in the redacted export view (no victim or witness "
    "contact data, no juvenile names).",
    summary="Approved reports for RMS vendors (redacted export view), oldest approval first",
    response_model=ExportPage,
    responses=error_responses(*E),
)
async def export_reports(
    unit: Exporter,
    approved_since: Annotated[Timestamp | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: ReportService) -> ExportPage:
        items, nxt = svc.export(approved_since, limit=limit, cursor=cursor)
        return ExportPage(items=items, next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{report_id:uuid}",
    operation_id="reports_get",
    description="The report with its parts; every read is audited. Person detail (phones, "
    "addresses, dates of birth, juveniles' names) goes to its author, reviewers and "
    "records only; other readers get `redacted` persons. A draft another CSO wrote "
    "is a 404.",
    summary="Read a report (audited); person detail only for its author, reviewers and records",
    response_model=ReportRead,
    responses=error_responses(*E, 404),
)
async def get_report(report_id: uuid.UUID, unit: Reader) -> Response:
    def work(svc: ReportService) -> Reply:
        view = svc.read(report_id)
        return ok(view, version=view.version)

    return await unit.run(work)


@router.patch(
    "/{report_id:uuid}",
    operation_id="reports_update",
    description="Edits a `draft` or `returned` report; needs `If-Match`. Only the author (403 "
    "`author_only`); a submitted or approved report is not edited (409 "
    "`report_not_editable`: add a supplement).",
    summary="Edit a draft or returned report (its author; If-Match required)",
    response_model=ReportRead,
    responses=error_responses(*E, 404, 409, 412, 428),
)
async def update_report(
    report_id: uuid.UUID, body: ReportUpdate, unit: Writer, if_match: IfMatchRequired
) -> Response:
    return await unit.run(lambda svc: _full(svc, svc.update(report_id, body, if_match)))


@router.post(
    "/{report_id:uuid}/submit",
    operation_id="reports_submit",
    description="Moves a draft or returned report to `submitted` for a sergeant's review. The "
    "kind's required parts must be present (422 `report_incomplete` lists them). "
    "Only its author (403 `author_only`).",
    summary="Submit for review (its author)",
    response_model=ReportRead,
    responses=W,
)
async def submit_report(
    report_id: uuid.UUID, unit: Writer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _full(svc, svc.submit(report_id, if_match)))


@router.post(
    "/{report_id:uuid}/approve",
    operation_id="reports_approve",
    description="Approves a submitted report (409 `invalid_transition` otherwise). Never by its "
    "author (403 `separation_of_duties`). Approved reports are immutable. Emits "
    "`report.approved`.",
    summary="Approve (a reviewer other than the author)",
    response_model=ReportRead,
    responses=W,
)
async def approve_report(
    report_id: uuid.UUID, unit: Reviewer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _full(svc, svc.approve(report_id, if_match)))


@router.post(
    "/{report_id:uuid}/return",
    operation_id="reports_return",
    description="Returns a submitted report to its author with the `reason` (required); the "
    "author edits and submits again.",
    summary="Return to the author with a reason",
    response_model=ReportRead,
    responses=W,
)
async def return_report(
    report_id: uuid.UUID, body: ReturnBody, unit: Reviewer, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _full(svc, svc.return_(report_id, body, if_match)))


@router.post(
    "/{report_id:uuid}/process",
    operation_id="reports_process",
    description="Records processes an approved report: it gets its report `number` (e.g. "
    "`R26-000123`) and moves to `processed`.",
    summary="Process (records): assigns the report number",
    response_model=ReportRead,
    responses=W,
)
async def process_report(
    report_id: uuid.UUID, unit: Records, if_match: IfMatchHeader = None
) -> Response:
    return await unit.run(lambda svc: _full(svc, svc.process(report_id, if_match)))


@router.post(
    "/{report_id:uuid}/supplements",
    operation_id="reports_supplement",
    description="Adds a supplement to an approved report (409 `report_not_approved` before "
    "approval): the correction route, since approved reports never change. By the "
    "author or a sergeant (403 `author_or_sergeant`).",
    summary="Add a supplement to an approved report (author or sergeant)",
    status_code=201,
    response_model=SupplementRead,
    responses=W,
)
async def add_supplement(report_id: uuid.UUID, body: SupplementBody, unit: Creator) -> Response:
    return await unit.run(
        lambda svc: Reply(SupplementRead.model_validate(svc.supplement(report_id, body)), 201)
    )


@router.post(
    "/{report_id:uuid}/contacts",
    operation_id="reports_add_contact",
    description="Records a follow-up contact with a victim (method, when, summary); by the "
    "author or a reviewer.",
    summary="Record a victim follow-up contact (the author or a reviewer)",
    status_code=201,
    response_model=ContactRead,
    responses=W,
)
async def add_contact(report_id: uuid.UUID, body: ContactBody, unit: Creator) -> Response:
    return await unit.run(
        lambda svc: Reply(ContactRead.model_validate(svc.contact(report_id, body)), 201)
    )


@router.get(
    "/{report_id:uuid}/contacts",
    operation_id="reports_contacts",
    description="The report's victim follow-up contacts, oldest first; for its author, "
    "reviewers and records; audited.",
    summary="Victim follow-up contacts (author, reviewers and records; audited)",
    response_model=list[ContactRead],
    responses=error_responses(*E, 404),
)
async def list_contacts(report_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(
        lambda svc: [ContactRead.model_validate(c) for c in svc.contacts(report_id)]
    )


@router.get(
    "/{report_id:uuid}/release",
    operation_id="reports_release",
    description="The copy records releases to the public: no victim or witness contact data, no "
    "juvenile names. Only for approved or processed reports (409 "
    "`report_not_approved`); audited.",
    summary="The redacted release copy (records; audited)",
    response_model=ReleaseCopy,
    responses=error_responses(*E, 404, 409),
)
async def release_report(report_id: uuid.UUID, unit: Records) -> Response:
    return await unit.run(lambda svc: svc.release(report_id))
