"""/api/v1/evidence/log — the transparency log over every custody event: signed heads, the
public key, inclusion and consistency proofs (RFC 9162 §2.1; hashes in hex)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response

from csoapi.core.carrier import carrier, ok
from csoapi.core.offload import offload
from csoapi.core.problems import error_responses
from csoapi.evidence.log import LogService, head_view
from csoapi.evidence.report import ReportService, pdf
from csoapi.evidence.schemas import ConsistencyRead, HeadRead, InclusionRead, KeyRead

router = APIRouter(prefix="/evidence", tags=["evidence"])
Reader = carrier(LogService, "evidence:read")
Anyone = carrier(LogService, public=True)
Reporter = carrier(ReportService, "evidence:read")
TreeSize = Annotated[int, Query(ge=1, le=2**62)]


@router.get(
    "/log/key",
    operation_id="evidence_log_key",
    description="No token needed: the Ed25519 public key (base64, raw 32 bytes) that signs tree "
    "heads and audit summaries, so anyone can verify them without an account.",
    summary="The Ed25519 public key that signs log heads and audit summaries (no token needed)",
    response_model=KeyRead,
)
async def log_key(unit: Anyone) -> Response:
    return await unit.run(lambda svc: ok(svc.key()))


@router.get(
    "/log/head",
    operation_id="evidence_log_head",
    description="The signed tree head over every custody event logged so far (RFC 9162 style): "
    "`tree_size`, `root_hash`, `timestamp`, and the Ed25519 `signature` over their "
    "RFC 8785 canonical JSON.",
    summary="The signed tree head over every custody event logged so far",
    response_model=HeadRead,
    responses=error_responses(401, 403),
)
async def log_head(unit: Reader) -> Response:
    return await unit.run(lambda svc: ok(head_view(svc.head())))


@router.get(
    "/log/consistency",
    operation_id="evidence_log_consistency",
    description="A consistency proof (RFC 9162 §2.1.4) that the tree of size `to` extends the "
    "tree of size `from`: nothing logged was changed or removed. `from` after `to` "
    "is a 422 `bad_tree_sizes`; a size beyond the log, 404 `tree_not_found`.",
    summary="Proof that the tree of size `to` extends the tree of size `from`",
    response_model=ConsistencyRead,
    responses=error_responses(401, 403, 404, 422),
)
async def log_consistency(
    unit: Reader,
    from_: Annotated[int, Query(alias="from", ge=1, le=2**62)],
    to: TreeSize,
) -> Response:
    return await unit.run(lambda svc: ok(svc.consistency(from_, to)))


@router.get(
    "/{item_id:uuid}/custody/{seq:int}/proof",
    operation_id="evidence_custody_proof",
    description="An inclusion proof of the custody event `seq` against a signed head "
    "(`tree_size`: an earlier published head, else the latest): `leaf_index`, "
    "`tree_size`, `audit_path`, `head`. An event logged after the head is a 409 "
    "`not_in_tree`.",
    summary="Inclusion proof of one custody event against a signed head (`tree_size`: an "
    "earlier published head)",
    response_model=InclusionRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def custody_proof(
    item_id: uuid.UUID,
    seq: Annotated[int, Path(ge=1, le=2**31)],
    unit: Reader,
    tree_size: TreeSize | None = None,
) -> Response:
    return await unit.run(lambda svc: ok(svc.inclusion(item_id, seq, tree_size)))


@router.get(
    "/{item_id:uuid}/custody/report",
    operation_id="evidence_custody_report",
    description="The chain of custody for court or a lab: every event, its log proof, the "
    "signed head and the key, as JSON that `csoapi verify-custody` checks offline; "
    "`Accept: application/pdf` prints it.",
    summary="The chain for court or lab: events, their log proofs, the signed head and the "
    "key (JSON, checked by `csoapi verify-custody`); `Accept: application/pdf` to print",
    responses=error_responses(401, 403, 404, 422)
    | {200: {"content": {"application/json": {}, "application/pdf": {}}}},
)
async def custody_report(
    item_id: uuid.UUID,
    unit: Reporter,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    def work(svc: ReportService) -> Response:
        report = svc.build(item_id)
        if accept and "application/pdf" in accept:
            body = offload(pdf, report)
            name = f'inline; filename="custody-{report["item"]["barcode"]}.pdf"'
            return Response(
                body, media_type="application/pdf", headers={"Content-Disposition": name}
            )
        return ok(report)

    return await unit.run(work)


@router.get(
    "/{item_id:uuid}/custody/case",
    operation_id="evidence_custody_case",
    description="The chain of custody as CASE/UCO JSON-LD, for digital-forensics tools "
    "(validated with case_validate).",
    summary="The chain of custody as CASE/UCO JSON-LD (checked with case_validate)",
    responses=error_responses(401, 403, 404, 422)
    | {
        200: {
            "description": "A CASE 1.5 / UCO JSON-LD document",
            "content": {"application/ld+json": {"schema": {"type": "object"}}},
        }
    },
)
async def custody_case(item_id: uuid.UUID, unit: Reporter) -> Response:
    def work(svc: ReportService) -> Response:
        body = json.dumps(svc.case(item_id), ensure_ascii=False)
        return Response(body, media_type="application/ld+json")

    return await unit.run(work)
