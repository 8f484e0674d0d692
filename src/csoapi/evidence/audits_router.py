"""/api/v1/evidence/audits — property-room audits: sample, scans, close, discrepancies."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from csoapi.core.carrier import Reply, carrier, created, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.problems import error_responses
from csoapi.evidence.audit_schemas import AuditCreate, AuditRead, ScanBody
from csoapi.evidence.audits import AuditService

router = APIRouter(prefix="/evidence/audits", tags=["evidence"])
Reader = carrier(AuditService, "evidence:read")
# Audits are made by supervisors, not by the property room's own staff (IAPE, IACP).
Auditor = carrier(AuditService, "evidence:approve")
Opener = carrier(AuditService, "evidence:approve", idempotency="optional")
W = error_responses(401, 403, 404, 409, 412, 422)


def _one(svc: AuditService, a) -> Reply:  # type: ignore[no-untyped-def]
    return ok(svc.read(a.id), version=a.version)


@router.post(
    "",
    operation_id="evidence_audits_open",
    description="Opens an inventory audit of a location: a sample is drawn (high-risk items, "
    "such as firearms, drugs, money and jewelry, at 10 % or more) for the auditor "
    "to find.",
    summary="Open an audit: the sample is drawn (high-risk items at 10 % or more)",
    status_code=201,
    response_model=AuditRead,
    responses=error_responses(401, 403, 422),
)
async def open_audit(body: AuditCreate, unit: Opener) -> Response:
    def work(svc: AuditService) -> Reply:
        a = svc.open(body)
        return created(
            svc.read(a.id), location=f"/api/v1/evidence/audits/{a.id}", version=a.version
        )

    return await unit.run(work)


@router.get(
    "/{audit_id:uuid}",
    operation_id="evidence_audits_get",
    description="The audit: its sample, each scan, the discrepancies (missing, misplaced, "
    "unexpected), and once closed the signed summary.",
    summary="The audit: its sample, each scan, the discrepancies, and once closed the "
    "signed summary",
    response_model=AuditRead,
    responses=error_responses(401, 403, 404, 422),
)
async def get_audit(audit_id: uuid.UUID, unit: Reader) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.repo.get_or_404(audit_id)))


@router.post(
    "/{audit_id:uuid}/scans",
    operation_id="evidence_audits_scan",
    description="Records scans: each barcode and where it was found. Only the auditor who "
    "opened it (403 `auditor_only`), only while open (409 `audit_closed`).",
    summary="Record scans: each barcode where it was found",
    response_model=AuditRead,
    responses=W,
)
async def scan(audit_id: uuid.UUID, body: ScanBody, unit: Auditor) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.scan(audit_id, body)))


@router.post(
    "/{audit_id:uuid}/close",
    operation_id="evidence_audits_close",
    description="Closes the audit: sampled items never scanned are missing. The summary is "
    "hashed and signed with the log key (verify with `GET /evidence/log/key`).",
    summary="Close: sampled items never scanned are missing; the summary is hashed and signed",
    response_model=AuditRead,
    responses=W,
)
async def close(audit_id: uuid.UUID, unit: Auditor, if_match: IfMatchHeader = None) -> Response:
    return await unit.run(lambda svc: _one(svc, svc.close(audit_id, if_match)))
