"""Imports fail loudly (issue 22): a file of the wrong kind is refused before any row; too
many rejections exit non-zero and name the import that must come first; a row without its
outcome is rejected, never queued as a live call; the rejects file holds the rows as they
were, so they can be fixed and fed back. On the samples shipped in the package."""

from __future__ import annotations

import csv
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from csoapi.calls.models import Call
from csoapi.cli import app
from csoapi.codes.models import CallType
from csoapi.core.config import get_settings
from csoapi.core.imports import ImportReport, write_rejects
from csoapi.samples import sample

CALLS = sample("san_diego_calls_2023-01-01.csv")
TYPES = sample("san_diego_calltypes.csv")
LA = sample("la_citations_2020-07-01.csv")


@pytest.fixture
def cli(live_db, database, monkeypatch):
    monkeypatch.setenv("CSOAPI_DATABASE_URL", database.url)
    monkeypatch.setenv("CSOAPI_ENV", "test")
    monkeypatch.setenv("CSOAPI_JWT_SECRET", "cli-" + "x" * 40)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, [str(a) for a in args])
    get_settings.cache_clear()


def _calls(live_db) -> list[Call]:
    with live_db() as s:
        return list(s.scalars(sa.select(Call)).all())


def test_a_file_of_the_wrong_kind_is_refused_before_any_row(cli, live_db):
    r = cli("import", "calls", LA)
    assert r.exit_code == 1, r.output
    assert "is not a San Diego PD calls for service" in r.output
    assert "incident_num" in r.output  # what the header lacks
    r = cli("import", "call-types", LA)
    assert r.exit_code == 1 and "is not a call-type table" in r.output
    r = cli("import", "citations", CALLS)
    assert r.exit_code == 1 and "ticket_number" in r.output
    assert _calls(live_db) == []


def test_calls_before_their_call_types_exit_2_and_say_what_to_import_first(cli, live_db):
    with live_db() as s:  # as on a database that has never had San Diego's table
        s.execute(sa.delete(CallType).where(CallType.code.in_(["FD", "AU1", "415", "SHOPS"])))
        s.commit()
    r = cli("import", "calls", CALLS)
    assert r.exit_code == 2, r.output
    assert "import failed" in r.output and "import call-types first" in r.output
    summary = json.loads(r.stdout[r.stdout.index("{") : r.stdout.rindex("}") + 1])
    assert summary["rejected"] > 3 and summary["hints"]
    # With the table in, the same file goes in whole, and exits 0.
    assert cli("import", "call-types", TYPES).exit_code == 0
    r = cli("import", "calls", CALLS)
    assert r.exit_code == 0, r.output
    calls = _calls(live_db)
    assert len(calls) == 300 and {c.status for c in calls} <= {"cleared", "cancelled"}


def test_the_threshold_is_the_callers(cli, live_db, tmp_path):
    assert cli("import", "call-types", TYPES).exit_code == 0
    bad = tmp_path / "calls.csv"
    rows = CALLS.read_text().splitlines()
    # 3 of 10 rows unreadable: 30%.
    broken = [rows[0]] + [r.replace("2023-01-01 ", "2023-13-01 ", 1) for r in rows[1:4]]
    bad.write_text("\n".join(broken + rows[4:11]) + "\n")
    assert cli("import", "calls", bad).exit_code == 2
    assert cli("import", "calls", bad, "--max-reject-rate", "0.5").exit_code == 0


def test_blank_disposition_is_rejected_and_the_rejects_file_can_be_fed_back(cli, live_db, tmp_path):
    assert cli("import", "call-types", TYPES).exit_code == 0
    with CALLS.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [next(reader) for _ in range(5)]
    dispo = header.index("disposition")
    rows[2][dispo] = ""  # San Diego has such rows: no outcome recorded
    source = tmp_path / "calls.csv"
    with source.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    rejects = tmp_path / "rejects.csv"
    r = cli("import", "calls", source, "--rejects", rejects, "--max-reject-rate", "0.5")
    assert r.exit_code == 0, r.output
    stored = _calls(live_db)
    assert len(stored) == 4 and all(c.status != "received" for c in stored)
    with rejects.open(newline="") as fh:
        back_header, back = list(csv.reader(fh))  # the header and the one rejected row
    assert back_header == [*header, "_line", "_reason"]
    assert back[: len(header)] == rows[2] and back[-2] == "4"
    assert back[-1].startswith("no disposition")
    # Fixed by hand (the outcome looked up) and fed back: it goes in, the others are skipped.
    back[dispo] = "K"
    with rejects.open("w", newline="") as fh:
        csv.writer(fh).writerows([back_header, back])
    r = cli("import", "calls", rejects)
    assert r.exit_code == 0, r.output
    assert len(_calls(live_db)) == 5


def test_a_rejects_file_of_a_rejects_file_keeps_one_line_and_reason(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('a,b,_line,_reason\n1,"two\nlines",9,old\n3,4,10,old\n')
    report = ImportReport(rows=2, rejected=[(3, "1", "still bad"), (3, "1", "and this")])
    out = tmp_path / "out.csv"
    assert write_rejects(source, report, out) == 1
    assert list(csv.reader(out.open(newline=""))) == [
        ["a", "b", "_line", "_reason"],
        ["1", "two\nlines", "3", "still bad; and this"],
    ]
