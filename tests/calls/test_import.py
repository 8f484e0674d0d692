"""Importing the real San Diego CAD export: every row is stored or rejected with a reason,
and a second run adds nothing."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import given
from hypothesis import settings as settings_h
from hypothesis import strategies as st
from typer.testing import CliRunner

from csoapi.calls import importer
from csoapi.calls.importer import import_call_types, import_calls, load_mapping
from csoapi.calls.models import Call, CallActivity
from csoapi.cli import app
from csoapi.codes.models import CallType
from csoapi.core.clock import CLOCK_SKEW, EARLIEST_RECORD
from csoapi.core.config import get_settings

SD_FORMAT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture
def sd_files(shared_data):
    calls = shared_data / "san_diego_pd_calls_for_service_2023-01.csv"
    types = shared_data / "san_diego_pd_cfs_calltypes.csv"
    if not calls.is_file() or not types.is_file():
        pytest.skip("San Diego files are absent from the shared data folder")
    return calls, types


@pytest.fixture
def seeded_codes(live_db):
    """The migration's call types (the ``units`` fixture puts them back after the test)."""
    with live_db() as s:
        return set(s.scalars(sa.select(CallType.code)).all())


def test_import_the_san_diego_file_twice(live_db, settings, sd_files, seeded_codes, shared_data):
    calls_csv, types_csv = sd_files
    mapping = load_mapping("san_diego")
    types_report = import_call_types(live_db, types_csv, mapping)
    assert types_report.rejected_count == 0
    with open(types_csv, encoding="utf-8-sig") as fh:
        sd_codes = {row["call_type"] for row in csv.DictReader(fh)}
    with live_db() as s:
        rows = s.scalars(sa.select(CallType).where(CallType.code.in_(sd_codes))).all()
    assert {r.code for r in rows} == sd_codes
    apco = yaml.safe_load(
        (shared_data / "standards/eido/Schema/NIEMComponents/apco.yaml").read_text()
    )
    registry = set(apco["components"]["schemas"]["apcoIncidentCategoryCodeSimpleType"]["enum"])
    assert {r.common_code for r in rows} <= registry  # every mapping lands in the APCO registry

    with open(calls_csv, newline="") as fh:
        rows_in = sum(1 for _ in csv.DictReader(fh))
    first = import_calls(live_db, settings, calls_csv, mapping)
    assert first.rows == rows_in == 26595
    assert first.rows == first.stored + first.rejected_count
    rejected = {line: reason for line, _, reason in first.rejected}
    assert rejected[2937] == "unknown call type '1016P'"  # not in San Diego's own table
    assert rejected[2636] == "unknown call type ''"
    assert rejected[7577] == "unknown disposition 'DEF'"
    assert all(
        r.startswith(("unknown call type", "unknown disposition", "no address", "no disposition"))
        for r in rejected.values()
    )
    with live_db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Call)) == first.stored
        assert s.scalar(sa.select(sa.func.count()).select_from(CallActivity)) == first.stored
        numbers = s.scalars(sa.select(Call.number)).all()
        assert len(set(numbers)) == len(numbers)
        e6 = s.scalars(sa.select(Call).where(Call.external_id == "E23010000006")).one()
        assert (e6.call_type, e6.priority, e6.beat, e6.address) == (
            "AU1",
            1,
            "441",
            "200 S FRANCIS ST",
        )
        assert e6.received_at.isoformat() == "2023-01-01T08:02:41+00:00"  # Pacific → UTC
        assert (e6.status, e6.disposition) == ("cleared", "HANDLED")
        e2 = s.scalars(sa.select(Call).where(Call.external_id == "E23010000002")).one()
        assert e2.beat is None  # beat -1 means unknown
        # 14 batches went through the pipeline; numbers still follow the file's order
        in_number_order = s.scalars(sa.select(Call.external_id).order_by(Call.number)).all()
    with open(calls_csv, newline="", encoding="utf-8-sig") as fh:
        stored = {x for x in in_number_order}
        file_order = [r["incident_num"] for r in csv.DictReader(fh) if r["incident_num"] in stored]
    assert list(in_number_order) == file_order

    second = import_calls(live_db, settings, calls_csv, mapping)
    assert second.stored == 0 and second.already_present == first.stored
    assert second.rejected_count == first.rejected_count
    with live_db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Call)) == first.stored


def test_cli_import_with_progress_and_rejects_file(
    live_db, database, sd_files, seeded_codes, tmp_path, monkeypatch
):
    calls_csv, types_csv = sd_files
    excerpt = tmp_path / "excerpt.csv"
    with open(calls_csv, newline="") as src, open(excerpt, "w", newline="") as dst:
        for i, line in enumerate(src):
            if i > 300:
                break
            dst.write(line)
        dst.write('"E23019999999","not a time","1","1","","MAIN","ST","","","","FD","K","1","2"\n')
        # U+0000 in a cell: one such row used to fail its batch on PostgreSQL
        dst.write('"E23019999998","2023-01-01 00:00:01","1","1","","MA\x00IN","ST","","","",'
                  '"FD","K","1","2"\n')  # fmt: skip
    monkeypatch.setenv("CSOAPI_DATABASE_URL", database.url)
    monkeypatch.setenv("CSOAPI_ENV", "test")
    monkeypatch.setenv("CSOAPI_JWT_SECRET", "cli-" + "x" * 40)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        r = runner.invoke(app, ["import", "call-types", str(types_csv)])
        assert r.exit_code == 0, r.output
        rejects = tmp_path / "rejects.csv"
        r = runner.invoke(app, ["import", "calls", str(excerpt), "--rejects", str(rejects)])
        assert r.exit_code == 0, r.output
        summary = json.loads(r.stdout[r.stdout.index("{") : r.stdout.rindex("}") + 1])
        assert summary["rows"] == 302 and summary["rows"] == summary["stored"] + summary["rejected"]
        lines = list(csv.DictReader(rejects.open()))
        assert any(row["_reason"] == "unreadable received time 'not a time'" for row in lines)
        nul = [row for row in lines if row["incident_num"] == "E23019999998"]
        assert [row["_reason"] for row in nul] == [
            "a cell must not contain the NUL character (U+0000)"
        ]
        r = runner.invoke(app, ["import", "calls", str(excerpt), "--mapping", "no_such_mapping"])
        assert r.exit_code == 1 and "no usable mapping" in r.output
    finally:
        get_settings.cache_clear()


def test_a_failed_batch_stops_the_import_and_keeps_earlier_batches(
    live_db, settings, sd_files, seeded_codes, tmp_path, monkeypatch
):
    calls_csv, types_csv = sd_files
    mapping = load_mapping("san_diego")
    import_call_types(live_db, types_csv, mapping)
    excerpt = tmp_path / "excerpt.csv"
    with open(calls_csv, newline="") as src, open(excerpt, "w", newline="") as dst:
        for i, line in enumerate(src):
            if i > 500:
                break
            dst.write(line)
    monkeypatch.setattr(importer, "BATCH", 100)
    real_write, calls = importer._write, []

    def failing_write(factory, batch, report):
        calls.append(batch)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real_write(factory, batch, report)

    monkeypatch.setattr(importer, "_write", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        import_calls(live_db, settings, excerpt, mapping)
    with live_db() as s:
        stored = s.scalar(sa.select(sa.func.count()).select_from(Call))
    # every batch handed to a writer but the failed one is stored (the pools finish their
    # work before the error leaves import_calls); the failed batch left nothing behind
    assert stored == sum(len(c) for i, batch in enumerate(calls) if i != 2 for c, _ in batch)
    assert stored >= 200
    monkeypatch.setattr(importer, "_write", real_write)
    rerun = import_calls(live_db, settings, excerpt, mapping)  # a re-run completes the file
    with live_db() as s:
        total = s.scalar(sa.select(sa.func.count()).select_from(Call))
        numbers = s.scalars(sa.select(Call.number)).all()
    assert total == rerun.stored + rerun.already_present == 500 - rerun.rejected_count
    assert len(set(numbers)) == len(numbers)


@settings_h(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.datetimes(min_value=datetime(1900, 1, 1)).map(lambda d: d.strftime(SD_FORMAT)),
        st.from_regex(
            r"\A[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}[ T][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}"
            r"(\.[0-9]{1,6})?\Z"
        ),
        st.text(max_size=25),
    )
)
def test_received_time_reads_exactly_as_strptime_would(raw):
    mapper = importer._RowMapper(load_mapping("san_diego"), {"FD"}, set())
    row = {"incident_num": "E1", "date_time": raw, "call_type": "FD", "priority": "2",
           "disposition": "W", "address_road_primary": "MAIN"}  # fmt: skip
    try:
        expected = datetime.strptime(raw.strip(), SD_FORMAT)
    except ValueError:
        expected = None
    try:
        got = mapper.map({k: v.strip() for k, v in row.items()})["received_at"]
    except ValueError as exc:
        if "\x00" in raw.strip():
            assert "NUL character" in str(exc)
        elif expected is not None and not _recordable(expected.replace(tzinfo=mapper.tz)):
            assert "received time before 1900" in str(exc) or "in the future" in str(exc)
        else:
            assert expected is None, exc
            assert "unreadable received time" in str(exc)
    else:
        assert expected is not None and got.replace(tzinfo=None) == expected
        assert _recordable(got)


def _recordable(at):
    """A time a call can have: not before 1900, not in the future."""
    return EARLIEST_RECORD <= at <= datetime.now(UTC) + CLOCK_SKEW
