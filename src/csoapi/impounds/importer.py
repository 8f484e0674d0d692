"""Import impound history from a city export (CSV) with a mapping (``chicago`` ships with
the package): ``csoapi import impounds FILE.csv --mapping chicago``.

Each row becomes a closed record (``source = "import"``, status ``released`` with the
release marked as imported, outcome unknown): history, outside the live worklists, the
portal's lookup and the deadline clocks. A row is rejected, by line and reason, when its
plate or state is blank or not a plate, its date does not read or is implausible, or it
repeats an earlier row's inventory number (exact duplicates included). The inventory
number is the record's ``external_id``, kept as text (leading zeros): a re-run skips rows
already imported."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from csoapi.core import audit
from csoapi.core.bulk import insert_rows
from csoapi.core.clock import CLOCK_SKEW, implausible, to_utc
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.imports import ImportReport, load_mapping, read_rows, reason_of, refuse_nul
from csoapi.core.models import utcnow
from csoapi.core.numbering import IMPOUND_NUMBER, yearly_numbers
from csoapi.core.values import Plate, PlateState
from csoapi.impounds.models import Impound
from csoapi.impounds.repository import ImpoundRepository
from csoapi.impounds.schemas import ImpoundReason

BATCH = 2000
_PLATE = TypeAdapter(Plate)
_STATE = TypeAdapter(PlateState)


def _checked(adapter: TypeAdapter[str], value: str, what: str) -> str:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        raise ValueError(f"{what} '{value[:20]}' is not valid") from None


def impound_mapping(name_or_path: str) -> dict[str, Any]:
    return load_mapping("csoapi.impounds.mappings", name_or_path)


class _Rows:
    def __init__(self, mapping: dict[str, Any]) -> None:
        self.cols = mapping["columns"]
        self.constants = mapping["constants"]
        ImpoundReason(self.constants["reason"])  # a mapping with an unknown reason fails here
        self.tz = ZoneInfo(mapping.get("timezone", "UTC"))
        self.date_format = mapping["date_format"]
        self.jurisdiction = mapping["jurisdiction"]
        self.latest = utcnow() + CLOCK_SKEW

    def get(self, row: dict[str, str], key: str) -> str:
        column = self.cols.get(key)
        return row.get(column, "") if column else ""

    def map(self, row: dict[str, str]) -> dict[str, Any]:
        refuse_nul(row)
        inventory = self.get(row, "external_id")
        if not inventory or len(inventory) > 64:
            raise ValueError("no usable inventory number")
        plate, state = self.get(row, "plate"), self.get(row, "plate_state")
        if not plate:
            raise ValueError("no plate number")
        if not state:
            raise ValueError("no plate state")
        raw = self.get(row, "tow_date")
        try:
            day = datetime.strptime(raw, self.date_format).date()
        except ValueError:
            raise ValueError(f"unreadable tow date '{raw[:20]}'") from None
        towed_at = to_utc(datetime.combine(day, time(0), self.tz))
        why = implausible(towed_at, self.latest)
        if why is not None:
            raise ValueError(f"towed {why} '{raw[:20]}'")
        lot = self.get(row, "lot") or "not in the source file"
        return {
            "external_id": inventory,
            "plate": _checked(_PLATE, plate, "plate"),
            "plate_state": _checked(_STATE, state, "plate state"),
            "make": self.get(row, "make")[:32] or None,
            "model": (self.get(row, "model") or self.get(row, "style"))[:32] or None,
            "color": self.get(row, "color")[:32] or None,
            "storage_lot": lot[:100],
            "lot_phone": self.get(row, "lot_phone")[:32] or None,
            "towed_at": towed_at,
            "year": day.year,
        }


def import_impounds(
    factory: sessionmaker[Session],
    settings: Settings,
    path: Path,
    mapping: dict[str, Any],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    mapper = _Rows(mapping)
    valid: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path):
        report.rows += 1
        try:
            values = mapper.map(row)
        except (ValueError, ValidationError) as exc:
            report.rejected.append((line, mapper.get(row, "external_id"), reason_of(exc)))
            continue
        key = values["external_id"]
        if key in seen:
            report.rejected.append((line, key, f"repeats the inventory number of line {seen[key]}"))
            continue
        seen[key] = line
        valid.append(values | {"line": line})
    for start in range(0, len(valid), BATCH):
        _store(factory, settings, mapper, path.name, valid[start : start + BATCH], report)
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
            "impound.import",
            entity_type="impound",
            detail={"file": path.name, **report.summary()},
        )
        session.commit()
    return report


def _store(
    factory: sessionmaker[Session],
    settings: Settings,
    mapper: _Rows,
    file: str,
    batch: list[dict[str, Any]],
    report: ImportReport,
) -> None:
    with factory() as session:
        existing = ImpoundRepository(session).existing_external_ids(
            [v["external_id"] for v in batch]
        )
        fresh = [v for v in batch if v["external_id"] not in existing]
        report.already_present += len(batch) - len(fresh)
        if not fresh:
            return
        by_year: dict[int, list[dict[str, Any]]] = {}
        for v in fresh:
            by_year.setdefault(v["year"], []).append(v)
        rows = []
        for year, group in by_year.items():
            prefix = settings.impound_number_prefix
            numbers = yearly_numbers(session, IMPOUND_NUMBER, prefix, year, len(group))
            rows += [_row(v, n, mapper, file) for v, n in zip(group, numbers, strict=True)]
        insert_rows(session, Impound.__table__, rows)  # type: ignore[attr-defined]
        session.commit()
        report.stored += len(rows)


def _row(v: dict[str, Any], number: str, mapper: _Rows, file: str) -> dict[str, Any]:
    now, c = utcnow(), mapper.constants
    blank = Impound(
        number=number, reason="", authority="", towed_from="", tow_company="", storage_lot=""
    )
    defaults = {col.name: getattr(blank, col.name) for col in Impound.__table__.columns}  # type: ignore[attr-defined]
    return defaults | {
        "id": uuid.uuid4(),
        "number": number,
        "source": "import",
        "external_id": v["external_id"],
        "plate": v["plate"],
        "plate_state": v["plate_state"],
        "make": v["make"],
        "model": v["model"],
        "color": v["color"],
        "reason": c["reason"],
        "authority": c["authority"],
        "towed_from": c["towed_from"],
        "tow_company": c["tow_company"],
        "storage_lot": v["storage_lot"],
        "requested_at": v["towed_at"],
        "towed_at": v["towed_at"],
        "status": "released",
        "jurisdiction": mapper.jurisdiction,
        "release": {
            "source": "import",
            "file": file,
            "line": v["line"],
            "outcome": "not in the source file: closed on import",
            "lot_phone": v["lot_phone"],
        },
        "inventory": [],
        "steps": [],
        "created_at": now,
        "updated_at": now,
    }
