"""The violation schedule: versions, the version in force on a day, and CSV import."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Unprocessable
from csoapi.core.imports import dollars_to_cents
from csoapi.core.mutation import Changes, Entity
from csoapi.violations.models import Violation
from csoapi.violations.repository import ViolationRepository
from csoapi.violations.schemas import ViolationCreate, ViolationUpdate


def in_force(session: Session, code: str, on: date) -> Violation | None:
    """The active version of ``code`` in force on ``on`` (the latest one effective by then)."""
    return ViolationRepository(session).in_force(code, on)


VIOLATION: Entity[Violation] = Entity("violation")


class ViolationService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = ViolationRepository(session)
        self.changes = Changes(
            session, ctx, VIOLATION, lock=lambda key: self.get(key, for_update=True)
        )

    def page(self, *, code: str | None, as_of: date | None, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(code=code, as_of=as_of, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "violation.list",
            entity_type="violation",
            filters={"code": code, "as_of": as_of, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    def get(self, violation_id: uuid.UUID, *, for_update: bool = False) -> Violation:
        return self.repo.get_or_404(violation_id, for_update=for_update)

    def create(self, data: ViolationCreate) -> Violation:
        if self.repo.version_exists(data.code, data.effective_from):
            raise Conflict(
                f"Violation {data.code} already has a version effective "
                f"{data.effective_from.isoformat()}",
                code="violation_version_exists",
            )
        row = self.repo.add(
            Violation(
                **data.model_dump(exclude={"penalties"}),
                penalties=[t.model_dump() for t in data.penalties],
            )
        )
        audit.record(
            self.session,
            self.ctx,
            "violation.create",
            entity_type="violation",
            entity_id=row.id,
            detail={"code": row.code, "fine_cents": row.fine_cents},
        )
        return row

    def update(
        self, violation_id: uuid.UUID, data: ViolationUpdate, if_match: str | None
    ) -> Violation:
        change = self.changes.begin(violation_id, if_match, required=True)
        changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
        for key, value in changes.items():
            setattr(change.row, key, value)
        return change.done("violation.update", detail={"fields": sorted(changes)})


@dataclass
class ScheduleImport:
    rows: int = 0
    stored: int = 0
    already_present: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)


def import_schedule(
    session: Session,
    ctx: RequestContext,
    path: Path,
    *,
    code_column: int,
    description_column: int,
    fine_column: int,
    effective_from: date,
    penalties: list[dict[str, Any]] | None = None,
) -> ScheduleImport:
    """Import (code, description, fine in dollars) rows as versions effective ``effective_from``.
    Columns are positions, since schedules often have multi-line header cells. Versions that
    exist already (same code and date) are left alone, so a re-run adds nothing."""
    report = ScheduleImport()
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            code = row[code_column].strip() if len(row) > code_column else ""
            try:
                fine = dollars_to_cents(row[fine_column] if len(row) > fine_column else "")
                if fine is None:
                    raise ValueError("no fine amount")
                data = ViolationCreate(
                    code=code,
                    description=row[description_column],
                    fine_cents=fine,
                    effective_from=effective_from,
                    penalties=penalties or [],
                )
            except ValidationError as exc:
                err = exc.errors()[0]
                report.rejected.append(
                    (line, code, f"{'.'.join(map(str, err['loc']))}: {err['msg']}")
                )
                continue
            except (ValueError, IndexError) as exc:
                report.rejected.append((line, code, str(exc)))
                continue
            try:
                with session.begin_nested():
                    ViolationService(session, ctx).create(data)
                report.stored += 1
            except Conflict:
                report.already_present += 1
            except Unprocessable as exc:  # pragma: no cover - create raises Conflict only
                report.rejected.append((line, code, exc.detail))
    return report
