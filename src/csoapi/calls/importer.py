"""Import calls for service (and the agency's call-type table) from a CAD export (CSV).

A mapping (JSON; ``san_diego`` ships with the package) names the columns and translates the
CAD's priorities and dispositions. Every row is validated; rows that fail are reported with
their line number and reason and nothing else of theirs is stored. Valid rows go in batches,
each committed, so a re-run (or a run after an interruption) skips what is already there:
``(source, external_id)`` is the identity of an imported call.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from csoapi.calls.models import Call, CallActivity
from csoapi.calls.schemas import CallSource, CallStatus, ExternalId, Location
from csoapi.codes.models import CallType, Disposition
from csoapi.core import audit
from csoapi.core.bulk import insert_rows
from csoapi.core.clock import CLOCK_SKEW, implausible, to_utc
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.imports import (
    ImportReport,
    MappingError,
    mapped_columns,
    read_rows,
    reason_of,
    refuse_nul,
    require_columns,
)
from csoapi.core.imports import load_mapping as load_calls_mapping
from csoapi.core.models import utcnow
from csoapi.core.numbering import CALL_NUMBER, yearly_numbers

BATCH = 2000
WRITERS = 2
_REPORT_LOCK = threading.Lock()
_ISO_SPACE = "%Y-%m-%d %H:%M:%S"
_ISO_SPACE_RX = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
STAMP = {"cleared": "cleared_at", "cancelled": "cancelled_at"}
# An imported call is history: it lands closed, with its own outcome, never in the live queue.
CLOSED = frozenset(STAMP)


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
        self.latest = utcnow() + CLOCK_SKEW
        self.unknown_types: dict[str, int] = {}  # code → rows naming it
        for code, outcome in self.dispositions_map.items():
            if outcome.get("status") not in CLOSED:
                raise MappingError(
                    f"the mapping imports disposition '{code}' as '{outcome.get('status')}': "
                    "imported calls are history and must land cleared or cancelled"
                )

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
        refuse_nul(row)
        external_id = self._get(row, "external_id")
        if not external_id:
            raise ValueError("no incident number")
        try:
            _EXTERNAL_ID.validate_python(external_id)
        except ValidationError:
            raise ValueError(f"invalid incident number '{external_id[:40]}'") from None
        raw_time = self._get(row, "received_at") or ""
        try:
            if self.fmt and not (self.fmt == _ISO_SPACE and _ISO_SPACE_RX.fullmatch(raw_time)):
                naive = datetime.strptime(raw_time, self.fmt)
            else:  # the common CAD form parsed ~10x faster; same result as strptime
                naive = datetime.fromisoformat(raw_time)
        except ValueError:
            raise ValueError(f"unreadable received time '{raw_time}'") from None
        received_at = naive if naive.tzinfo else naive.replace(tzinfo=self.tz)
        why = implausible(to_utc(received_at), self.latest)
        if why is not None:
            raise ValueError(f"received time {why} '{raw_time}'")
        call_type = self._get(row, "call_type") or ""
        if call_type not in self.call_types:
            self.unknown_types[call_type] = self.unknown_types.get(call_type, 0) + 1
            raise ValueError(f"unknown call type '{call_type}'")
        raw_priority = self._get(row, "priority") or ""
        if raw_priority not in self.priorities:
            raise ValueError(f"unknown priority '{raw_priority}'")
        raw_dispo = row.get(self.cols.get("disposition", ""), "")
        if not raw_dispo:
            # Not an open call: a historical row without its outcome. Taking it as
            # "received" would put a call from the past into today's dispatch queue.
            raise ValueError("no disposition (a historical call is imported with its outcome)")
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
    require_columns(path, mapped_columns(mapping["columns"]), _kind(mapping))
    report = ImportReport()
    with factory() as session:
        call_types = set(session.scalars(sa.select(CallType.code).where(CallType.active)).all())
        dispositions = set(session.scalars(sa.select(Disposition.code)).all())
    mapper = _RowMapper(mapping, call_types, dispositions)
    seen: dict[str, int] = {}
    batch: list[dict[str, Any]] = []
    # A pipeline: this thread validates rows; one thread drops the rows already stored and
    # numbers the rest, batch by batch in file order; two writer threads store numbered
    # batches. The database's share of the work (index upkeep, foreign-key checks) runs on
    # two server processes and overlaps the parsing instead of following it.
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-numberer") as numberer,
        ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="import-writer") as writers,
    ):
        pending: deque[tuple[Future[Future[None]], int]] = deque()

        def number_then_write(rows: list[dict[str, Any]]) -> Future[None]:
            prepared = _prepare(factory, settings, source, rows, report)
            return writers.submit(_write, factory, prepared, report)

        def settle(keep: int) -> None:
            while len(pending) > keep:
                future, size = pending.popleft()
                future.result().result()  # re-raises a numberer's or writer's error here
                if on_progress:
                    on_progress(size)

        def flush(rows: list[dict[str, Any]]) -> None:
            settle(WRITERS + 1)  # bounds the batches held in memory
            pending.append((numberer.submit(number_then_write, rows), len(rows)))

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
                flush(batch)
                batch = []
        if batch:
            flush(batch)
        settle(0)
    _hint_call_types(report, mapper)
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


def _prepare(
    factory: sessionmaker[Session],
    settings: Settings,
    source: str,
    batch: list[dict[str, Any]],
    report: ImportReport,
) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Drop rows whose incident number is already stored; give the rest their ids, columns
    and numbers (per year of receipt). The numbers are taken, in file order, in a short
    transaction of their own so that writers can store batches side by side; a batch that
    then fails to store leaves its numbers unused. Call numbers are unique, not gap-free
    (citation numbers are gap-free, and their import takes them in the storing
    transaction)."""
    ids = [v["external_id"] for v in batch]
    with factory() as session:
        if session.get_bind().dialect.name == "postgresql":  # one array parameter, not 2,000
            known = Call.external_id == sa.any_(sa.bindparam("ids", ids, type_=ARRAY(sa.String)))
        else:
            known = Call.external_id.in_(ids)
        existing = set(
            session.scalars(sa.select(Call.external_id).where(Call.source == source, known)).all()
        )
    fresh = [v for v in batch if v["external_id"] not in existing]
    report.already_present += len(batch) - len(fresh)
    now = utcnow()
    by_year: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for values in fresh:
        call_id = uuid.uuid4()
        calls, activity = by_year.setdefault(
            values["received_at"].astimezone(settings.tz).year, ([], [])
        )
        calls.append(
            values
            | {
                "id": call_id,
                "source": source,
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
                "actor_name": "import",
                "to_status": values["status"],
            }
        )
    if by_year:
        with factory() as session:
            for year, (calls, _) in by_year.items():
                prefix = settings.call_number_prefix
                numbers = yearly_numbers(session, CALL_NUMBER, prefix, year, len(calls))
                for number, call in zip(numbers, calls, strict=True):
                    call["number"] = number
            session.commit()
    return list(by_year.values())


def _write(
    factory: sessionmaker[Session],
    batch: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    report: ImportReport,
) -> None:
    """Store one numbered batch (calls, then their activity) in one transaction."""
    if not batch:
        return
    with factory() as session:
        for calls, activity in batch:
            insert_rows(session, Call.__table__, calls)  # type: ignore[attr-defined]
            insert_rows(session, CallActivity.__table__, activity)  # type: ignore[attr-defined]
        session.commit()
    with _REPORT_LOCK:
        report.stored += sum(len(calls) for calls, _ in batch)


def _kind(mapping: dict[str, Any]) -> str:
    return f"a {mapping['name']} file" if mapping.get("name") else "the mapping's export"


def _hint_call_types(report: ImportReport, mapper: _RowMapper) -> None:
    """Name the import that has to come first when rows name call types the table lacks."""
    unknown = {c: n for c, n in mapper.unknown_types.items() if c}
    if not unknown:
        return
    rows = sum(unknown.values())
    shown = ", ".join(sorted(unknown, key=lambda c: -unknown[c])[:5])
    what = f"{rows} rows name {len(unknown)} call types not in the table (e.g. {shown})"
    if not mapper.call_types or rows * 2 > report.rows:
        report.hints.append(
            f"import call-types first: {what} "
            "(csoapi import call-types <the CAD's call-type table>.csv)"
        )
    else:
        report.hints.append(
            f"{what}: add them (csoapi import call-types, or POST /api/v1/codes/call-types) "
            "and re-feed the rejects file"
        )


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
    require_columns(path, [spec["code_column"], spec["description_column"]], "a call-type table")
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
