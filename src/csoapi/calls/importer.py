"""Import calls for service (and the agency's call-type table) from a CAD export (CSV).

A mapping (JSON; ``san_diego`` ships with the package) names the columns and translates the
CAD's priorities and dispositions. Every row is validated; rows that fail are reported with
their line number and reason and nothing else of theirs is stored. Valid rows go in batches,
each committed, so a re-run (or a run after an interruption) skips what is already there:
``(source, external_id)`` is the identity of an imported call.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from csoapi.calls.models import Call, CallActivity
from csoapi.calls.schemas import CallSource, CallStatus, ExternalId, Location
from csoapi.codes.models import CallType, Disposition
from csoapi.core import audit
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.imports import ImportReport, MappingError, read_rows, reason_of
from csoapi.core.imports import load_mapping as load_calls_mapping
from csoapi.core.models import utcnow
from csoapi.core.numbering import reserve

BATCH = 2000
STAMP = {"cleared": "cleared_at", "cancelled": "cancelled_at"}


def load_mapping(name_or_path: str) -> dict[str, Any]:
    return load_calls_mapping("csoapi.calls.mappings", name_or_path)


class _RowMapper:
    """Turns one CSV row into the values of a Call, or says why it cannot."""

    def __init__(self, mapping: dict[str, Any], call_types: set[str], dispositions: set[str]):
        self.m = mapping
        self.cols = mapping["columns"]
        self.tz = ZoneInfo(mapping.get("timezone", "UTC"))
        self.fmt = mapping.get("received_at_format")
        self.blank_numbers = set(mapping.get("address_blank_numbers", []))
        self.nulls = {k: set(v) for k, v in mapping.get("null_values", {}).items()}
        self.priorities = {str(k): int(v) for k, v in mapping.get("priority_map", {}).items()}
        self.dispositions_map = mapping.get("disposition_map", {})
        self.call_types = call_types
        self.dispositions = dispositions

    def _get(self, row: dict[str, str], key: str) -> str | None:
        column = self.cols.get(key)
        if column is None:
            return None
        value = row.get(column, "")
        return None if value in self.nulls.get(key, {""}) else value

    def _address(self, row: dict[str, str]) -> str:
        parts = [row.get(c, "") for c in self.cols.get("address", [])]
        if parts and parts[0] in self.blank_numbers:
            parts = parts[1:]
        street = " ".join(p for p in parts if p)
        cross = " ".join(
            p for p in (row.get(c, "") for c in self.cols.get("cross_street", [])) if p
        )
        if street and cross:
            return f"{street} / {cross}"
        return street or cross

    def map(self, row: dict[str, str]) -> dict[str, Any]:
        external_id = self._get(row, "external_id")
        if not external_id:
            raise ValueError("no incident number")
        try:
            _EXTERNAL_ID.validate_python(external_id)
        except ValidationError:
            raise ValueError(f"invalid incident number '{external_id[:40]}'") from None
        raw_time = self._get(row, "received_at") or ""
        try:
            naive = (
                datetime.strptime(raw_time, self.fmt)
                if self.fmt
                else datetime.fromisoformat(raw_time)
            )
        except ValueError:
            raise ValueError(f"unreadable received time '{raw_time}'") from None
        received_at = naive if naive.tzinfo else naive.replace(tzinfo=self.tz)
        call_type = self._get(row, "call_type") or ""
        if call_type not in self.call_types:
            raise ValueError(f"unknown call type '{call_type}'")
        raw_priority = self._get(row, "priority") or ""
        if raw_priority not in self.priorities:
            raise ValueError(f"unknown priority '{raw_priority}'")
        raw_dispo = row.get(self.cols.get("disposition", ""), "")
        outcome = self.dispositions_map.get(raw_dispo)
        if outcome is None:
            raise ValueError(f"unknown disposition '{raw_dispo}'")
        disposition = outcome.get("disposition")
        if disposition is not None and disposition not in self.dispositions:
            raise ValueError(f"mapping names a disposition not in the table: '{disposition}'")
        address = self._address(row)
        if not address:
            raise ValueError("no address")
        location = Location(address=address, beat=self._get(row, "beat"))
        return {
            "external_id": external_id,
            "received_at": received_at,
            "call_type": call_type,
            "priority": self.priorities[raw_priority],
            "address": location.address,
            "beat": location.beat,
            "status": CallStatus(outcome["status"]).value,
            "disposition": disposition,
        }


_EXTERNAL_ID = TypeAdapter(ExternalId)


def import_calls(
    factory: sessionmaker[Session],
    settings: Settings,
    path: Path,
    mapping: dict[str, Any],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    source = CallSource(mapping.get("source", "cad")).value
    report = ImportReport()
    with factory() as session:
        call_types = set(session.scalars(sa.select(CallType.code).where(CallType.active)).all())
        dispositions = set(session.scalars(sa.select(Disposition.code)).all())
    mapper = _RowMapper(mapping, call_types, dispositions)
    seen: dict[str, int] = {}
    batch: list[dict[str, Any]] = []
    for line, row in read_rows(path):
        report.rows += 1
        try:
            values = mapper.map(row)
        except (ValueError, ValidationError) as exc:
            report.rejected.append(
                (line, row.get(mapping["columns"]["external_id"], ""), reason_of(exc))
            )
            continue
        first = seen.get(values["external_id"])
        if first is not None:
            report.rejected.append(
                (line, values["external_id"], f"repeats the incident number of line {first}")
            )
            continue
        seen[values["external_id"]] = line
        batch.append(values)
        if len(batch) >= BATCH:
            _store(factory, settings, source, batch, report)
            if on_progress:
                on_progress(len(batch))
            batch = []
    if batch:
        _store(factory, settings, source, batch, report)
        if on_progress:
            on_progress(len(batch))
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
            "call.import",
            entity_type="call",
            detail={"file": path.name, **report.summary()},
        )
        session.commit()
    return report


def _store(
    factory: sessionmaker[Session],
    settings: Settings,
    source: str,
    batch: list[dict[str, Any]],
    report: ImportReport,
) -> None:
    with factory() as session:
        existing = set(
            session.scalars(
                sa.select(Call.external_id).where(
                    Call.source == source, Call.external_id.in_([v["external_id"] for v in batch])
                )
            ).all()
        )
        fresh = [v for v in batch if v["external_id"] not in existing]
        report.already_present += len(batch) - len(fresh)
        if not fresh:
            return
        now = utcnow()
        by_year: dict[int, list[dict[str, Any]]] = {}
        for values in fresh:
            by_year.setdefault(values["received_at"].astimezone(settings.tz).year, []).append(
                values
            )
        calls: list[dict[str, Any]] = []
        activity: list[dict[str, Any]] = []
        for year, rows in by_year.items():
            numbers = reserve(session, "call", str(year), len(rows))
            for n, values in zip(numbers, rows, strict=True):
                call_id = uuid.uuid4()
                stamps = {
                    a: None
                    for a in (
                        "dispatched_at",
                        "en_route_at",
                        "on_scene_at",
                        "cleared_at",
                        "cancelled_at",
                        "escalated_at",
                    )
                }
                calls.append(
                    values
                    | stamps
                    | {
                        "id": call_id,
                        "number": f"{settings.call_number_prefix}{year % 100:02d}-{n:06d}",
                        "source": source,
                        "lat": None,
                        "lon": None,
                        "caller_name": None,
                        "caller_phone": None,
                        "description": None,
                        "assigned_to": None,
                        "escalation_reason": None,
                        "created_by": "import",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                activity.append(
                    {
                        "call_id": call_id,
                        "kind": "imported",
                        "at": values["received_at"],
                        "actor_id": None,
                        "actor_name": "import",
                        "from_status": None,
                        "to_status": values["status"],
                        "assigned_to": None,
                        "text": None,
                        "detail": None,
                    }
                )
        session.execute(sa.insert(Call), calls)
        session.execute(sa.insert(CallActivity), activity)
        session.commit()
        report.stored += len(fresh)


def import_call_types(
    factory: sessionmaker[Session], path: Path, mapping: dict[str, Any]
) -> ImportReport:
    """Add the agency's call types (code, description) with their APCO common type taken
    from the mapping's rules. Codes already in the table are left as they are."""
    spec = mapping.get("call_types")
    if not spec:
        raise MappingError("this mapping has no call_types section")
    rules = [(re.compile(p, re.IGNORECASE), code) for p, code in spec.get("common_code_rules", [])]
    default_common = spec.get("default_common_code", "INFO")
    report = ImportReport()
    now = utcnow()
    with factory() as session:
        known = set(session.scalars(sa.select(CallType.code)).all())
        new_rows: list[dict[str, Any]] = []
        for line, row in read_rows(path):
            report.rows += 1
            code = row.get(spec["code_column"], "")
            description = row.get(spec["description_column"], "")
            if not code or not re.fullmatch(r"[A-Za-z0-9_.\-]{1,32}", code):
                report.rejected.append((line, code, f"invalid code '{code[:40]}'"))
                continue
            if not description:
                report.rejected.append((line, code, "no description"))
                continue
            if code in known:
                report.already_present += 1
                continue
            common = next((c for rx, c in rules if rx.search(description)), default_common)
            new_rows.append(
                {
                    "code": code,
                    "description": description[:200],
                    "common_code": common,
                    "default_priority": int(spec.get("default_priority", 3)),
                    "active": True,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            known.add(code)
        if new_rows:
            session.execute(sa.insert(CallType), new_rows)
        session.commit()
        report.stored = len(new_rows)
    return report
