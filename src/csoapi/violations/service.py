"""The violation schedule: versions, the version in force on a day, and CSV import."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.concurrency import check_if_match
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.imports import dollars_to_cents
from csoapi.core.pagination import SortKey, keyset_page
from csoapi.violations.models import Violation
from csoapi.violations.schemas import ViolationCreate, ViolationUpdate

KEYS = (
    SortKey(Violation.code, "str", lambda v: v.code),
    SortKey(Violation.effective_from, "date", lambda v: v.effective_from),
)


# Built once: every citation issued runs it, with bound parameters only.
_IN_FORCE = (
    sa.select(Violation)
    .where(
        Violation.code == sa.bindparam("code"),
        Violation.active,
        Violation.effective_from <= sa.bindparam("on"),
    )
    .order_by(Violation.effective_from.desc())
    .limit(1)
)


def in_force(session: Session, code: str, on: date) -> Violation | None:
    """The active version of ``code`` in force on ``on`` (the latest one effective by then)."""
    return session.scalars(_IN_FORCE, {"code": code, "on": on}).first()


class ViolationService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx

    def page(self, *, code: str | None, as_of: date | None, limit: int, cursor: str | None):
        stmt = sa.select(Violation)
        if code is not None:
            stmt = stmt.where(Violation.code == code)
        if as_of is not None:
            latest = (
                sa.select(Violation.code, sa.func.max(Violation.effective_from).label("eff"))
                .where(Violation.active, Violation.effective_from <= as_of)
                .group_by(Violation.code)
                .subquery()
            )
            stmt = stmt.join(
                latest,
                sa.and_(Violation.code == latest.c.code, Violation.effective_from == latest.c.eff),
            )
        rows, nxt = keyset_page(
            self.session, stmt, tag="violations", keys=KEYS, limit=limit, cursor=cursor
        )
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
        stmt = sa.select(Violation).where(Violation.id == violation_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        if row is None:
            raise NotFound("No such violation version", code="violation_not_found")
        return row

    def create(self, data: ViolationCreate) -> Violation:
        exists = self.session.scalar(
            sa.select(
                sa.exists().where(
                    Violation.code == data.code, Violation.effective_from == data.effective_from
                )
            )
        )
        if exists:
            raise Conflict(
                f"Violation {data.code} already has a version effective "
                f"{data.effective_from.isoformat()}",
                code="violation_version_exists",
            )
        row = Violation(
            **data.model_dump(exclude={"penalties"}),
            penalties=[t.model_dump() for t in data.penalties],
        )
        self.session.add(row)
        self.session.flush()
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
        row = self.get(violation_id, for_update=True)
        check_if_match(if_match, row.version, required=True)
        changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
        for key, value in changes.items():
            setattr(row, key, value)
        row.touch()
        audit.record(
            self.session,
            self.ctx,
            "violation.update",
            entity_type="violation",
            entity_id=row.id,
            detail={"fields": sorted(changes)},
        )
        return row


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
