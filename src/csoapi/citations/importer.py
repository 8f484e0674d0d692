"""Import citations from a city export (CSV) with a mapping (``la`` ships with the package).

A first pass finds violation codes the schedule lacks on the days they were issued and
schedules them (effective from the first such day, with the first fine the file gives and
no penalty tiers). Each citation then snapshots its own row's fine, so a code the city fined
at several amounts keeps each amount. Rows without a plate are rejected — unless the caller
asks for deterministic placeholder plates, derived from the ticket number, for demo and
benchmark data. The ticket number is the citation's ``external_id``: re-runs skip it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from csoapi.citations import money
from csoapi.citations.balances import DEFAULT_DUE_DAYS, tiers_of
from csoapi.citations.models import Citation
from csoapi.core import audit
from csoapi.core.bulk import insert_rows
from csoapi.core.clock import CLOCK_SKEW, implausible, to_utc
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.imports import (
    ImportReport,
    dollars_to_cents,
    load_mapping,
    mapped_columns,
    read_rows,
    reason_of,
    refuse_nul,
    require_columns,
)
from csoapi.core.models import utcnow
from csoapi.core.numbering import CITATION_NUMBER, yearly_numbers
from csoapi.core.values import Plate, PlateState
from csoapi.violations.models import Violation
from csoapi.violations.schemas import ViolationCode
from csoapi.violations.service import in_force

BATCH = 2000
_PLATE = TypeAdapter(Plate)
_STATE = TypeAdapter(PlateState)
_CODE = TypeAdapter(ViolationCode)
_TIME = re.compile(r"^(\d{0,2}):(\d{1,2})$")


def citation_mapping(name_or_path: str) -> dict[str, Any]:
    return load_mapping("csoapi.citations.mappings", name_or_path)


def placeholder_plate(ticket: str) -> str:
    """A stable made-up plate for a ticket (demo/benchmark data only): 'Z' + base 36."""
    digits = "".join(ch for ch in ticket if ch.isdigit()) or "0"
    n, out = int(digits), ""
    while True:
        n, r = divmod(n, 36)
        out = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r] + out
        if n == 0:
            break
    return ("Z" + out)[-8:]


class _Rows:
    def __init__(self, mapping: dict[str, Any], placeholder_plates: bool) -> None:
        self.cols = mapping["columns"]
        self.tz = ZoneInfo(mapping.get("timezone", "UTC"))
        self.date_format = mapping.get("issue_date_format", "%Y-%m-%d")
        self.placeholder = placeholder_plates
        self.latest = utcnow() + CLOCK_SKEW

    def get(self, row: dict[str, str], key: str) -> str:
        column = self.cols.get(key)
        return row.get(column, "") if column else ""

    def map(self, row: dict[str, str]) -> dict[str, Any]:
        refuse_nul(row)
        ticket = self.get(row, "external_id")
        if not ticket or len(ticket) > 32:
            raise ValueError("no usable ticket number")
        plate = self.get(row, "plate")
        if not plate:
            if not self.placeholder:
                raise ValueError("no plate number (withheld by the source)")
            plate = placeholder_plate(ticket)
        try:
            day = datetime.strptime(self.get(row, "issue_date"), self.date_format).date()
        except ValueError:
            raise ValueError(
                f"unreadable issue date '{self.get(row, 'issue_date')[:20]}'"
            ) from None
        raw_time = self.get(row, "issue_time")
        m = _TIME.match(raw_time)
        if not m or int(m.group(1) or 0) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"unreadable issue time '{raw_time[:10]}'")
        issued_at = datetime.combine(day, time(int(m.group(1) or 0), int(m.group(2))), self.tz)
        why = implausible(to_utc(issued_at), self.latest)
        if why is not None:
            raise ValueError(f"issued {why} '{day.isoformat()} {raw_time}'")
        location = self.get(row, "location")
        if not location:
            raise ValueError("no location")
        return {
            "external_id": ticket,
            "plate": _PLATE.validate_python(plate),
            "plate_state": _STATE.validate_python(self.get(row, "plate_state")),
            "vehicle_make": self.get(row, "make")[:32] or None,
            "vehicle_body": self.get(row, "body")[:32] or None,
            "vehicle_color": self.get(row, "color")[:32] or None,
            "location": location[:200],
            "violation_code": _CODE.validate_python(self.get(row, "violation_code")),
            "violation_description": self.get(row, "violation_description")[:200],
            "fine_cents": dollars_to_cents(self.get(row, "fine_dollars")),
            "issued_at": issued_at,
            "issued_on": day,
        }


def _schedule_missing_codes(factory: sessionmaker[Session], rows: list[dict[str, Any]]) -> None:
    firsts: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["issued_on"]):
        first = firsts.setdefault(
            r["violation_code"],
            {"day": r["issued_on"], "fine": None, "description": r["violation_description"]},
        )
        if first["fine"] is None and r["fine_cents"] is not None:
            first["fine"] = r["fine_cents"]
    now = utcnow()
    with factory() as session:
        for code, first in firsts.items():
            if in_force(session, code, first["day"]) is not None or first["fine"] is None:
                continue
            session.add(
                Violation(
                    code=code,
                    description=first["description"] or code,
                    fine_cents=first["fine"],
                    penalties=[],
                    effective_from=first["day"],
                    ordinance="imported",
                    created_at=now,
                    updated_at=now,
                )
            )
        session.commit()


def import_citations(
    factory: sessionmaker[Session],
    settings: Settings,
    path: Path,
    mapping: dict[str, Any],
    *,
    placeholder_plates: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    kind = f"a {mapping['name']} file" if mapping.get("name") else "the mapping's export"
    require_columns(path, mapped_columns(mapping["columns"]), kind)
    report = ImportReport()
    mapper = _Rows(mapping, placeholder_plates)
    valid: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path):
        report.rows += 1
        try:
            values = mapper.map(row)
        except (ValueError, ValidationError) as exc:
            report.rejected.append((line, mapper.get(row, "external_id"), reason_of(exc)))
            continue
        if values["external_id"] in seen:
            report.rejected.append(
                (
                    line,
                    values["external_id"],
                    f"repeats the ticket number of line {seen[values['external_id']]}",
                )
            )
            continue
        seen[values["external_id"]] = line
        valid.append((line, values))
    _schedule_missing_codes(factory, [v for _, v in valid])
    for start in range(0, len(valid), BATCH):
        _store(factory, settings, valid[start : start + BATCH], report)
        if on_progress:
            on_progress(min(BATCH, len(valid) - start))
    with factory() as session:
        ctx = RequestContext(
            principal=None,
            request_id=f"import-{uuid.uuid4().hex}",
            source_ip=None,
            settings=settings,
        )
        audit.record(
            session,
            ctx,
            "citation.import",
            entity_type="citation",
            detail={"file": path.name, **report.summary()},
        )
        session.commit()
    return report


def _store(
    factory: sessionmaker[Session],
    settings: Settings,
    batch: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
) -> None:
    with factory() as session:
        existing = set(
            session.scalars(
                sa.select(Citation.external_id).where(
                    Citation.external_id.in_([v["external_id"] for _, v in batch])
                )
            ).all()
        )
        versions: dict[tuple[str, date], Violation | None] = {}
        rows: list[dict[str, Any]] = []
        for line, v in batch:
            if v["external_id"] in existing:
                report.already_present += 1
                continue
            key = (v["violation_code"], v["issued_on"])
            if key not in versions:
                versions[key] = in_force(session, *key)
            version = versions[key]
            if version is None:
                report.rejected.append(
                    (
                        line,
                        v["external_id"],
                        f"violation '{v['violation_code']}' has no fine here or in the schedule",
                    )
                )
                continue
            rows.append(v | {"violation": version})
        if not rows:
            return
        now = utcnow()
        values = []
        by_year: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            by_year.setdefault(r["issued_on"].year, []).append(r)
        for year, group in by_year.items():
            prefix = settings.citation_number_prefix
            numbers = yearly_numbers(session, CITATION_NUMBER, prefix, year, len(group))
            for number, r in zip(numbers, group, strict=True):
                version: Violation = r.pop("violation")
                fine = r.pop("fine_cents")
                values.append(
                    r
                    | {
                        "id": uuid.uuid4(),
                        "number": number,
                        "kind": "citation",
                        "vin": None,
                        "beat": None,
                        "violation_id": version.id,
                        "violation_description": r["violation_description"] or version.description,
                        "fine_cents": version.fine_cents if fine is None else fine,
                        "penalty_tiers": list(version.penalties),
                        "due_date": money.due_on(
                            money.Terms(0, tiers_of(version.penalties), r["issued_on"]),
                            DEFAULT_DUE_DAYS,
                        ),
                        "issued_by": None,
                        "call_id": None,
                        "notes": None,
                        "state": "open",
                        "paid_cents": 0,
                        "pauses": [],
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        insert_rows(session, Citation.__table__, values)  # type: ignore[attr-defined]
        session.commit()
        report.stored += len(values)
