"""Importing the real Los Angeles citations file."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from csoapi.citations import importer
from csoapi.citations.importer import citation_mapping, import_citations, placeholder_plate
from csoapi.citations.models import Citation
from csoapi.violations.models import Violation


@pytest.fixture
def la_file(shared_data):
    path = shared_data / "la_parking_citations_2020-07-01_09.csv"
    if not path.is_file():
        pytest.skip("LA citations file is absent from the shared data folder")
    return path


def test_placeholder_plates_are_stable_and_valid():
    assert placeholder_plate("4515714932") == placeholder_plate("4515714932")
    assert placeholder_plate("4515714932") != placeholder_plate("4515714933")
    assert all(len(placeholder_plate(t)) <= 8 for t in ("1", "99999999999999999999", "x"))


def test_import_the_la_file(live_db, settings, la_file):
    mapping = citation_mapping("la")
    with open(la_file, newline="") as fh:
        rows_in = sum(1 for _ in csv.DictReader(fh))
    # Without plates (the city withholds them) every row is rejected, saying why.
    plain = import_citations(live_db, settings, la_file, mapping)
    assert plain.rows == rows_in == 18927
    assert plain.stored == 0 and plain.rejected_count == rows_in
    assert {reason for _, _, reason in plain.rejected} == {
        "no plate number (withheld by the source)"
    }

    demo = import_citations(live_db, settings, la_file, mapping, placeholder_plates=True)
    assert demo.rows == demo.stored + demo.rejected_count + demo.already_present
    assert demo.stored == rows_in and demo.rejected_count == 0
    with live_db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Citation)) == rows_in
        numbers = s.scalars(sa.select(Citation.number)).all()
        assert len(set(numbers)) == rows_in
        first = s.scalars(sa.select(Citation).where(Citation.external_id == "4515714932")).one()
        assert (first.plate_state, first.vehicle_make, first.location) == (
            "CA",
            "ACUR",
            "600 WILSHIRE PL",
        )
        assert (first.violation_code, first.fine_cents) == ("88.13B+", 6300)
        assert first.issued_at.isoformat() == "2020-07-01T23:06:00+00:00"  # 16:06 Pacific
        assert first.plate == placeholder_plate("4515714932")
        # One code fined at several amounts keeps each row's own amount.
        fines = Counter(
            s.scalars(sa.select(Citation.fine_cents).where(Citation.violation_code == "80.69.2"))
        )
        assert set(fines) == {25000, 50000, 100000}
        # Codes the schedule lacked were scheduled from the file's first fine, once each.
        assert s.scalar(sa.select(sa.func.count()).select_from(Violation)) == 54
        # The midnight hour is written ':MM' in this file.
        early = s.scalars(sa.select(Citation).where(Citation.external_id == "4515807575")).one()
        local = early.issued_at.astimezone(settings.tz)
        assert (local.date().isoformat(), local.hour, local.minute) == ("2020-07-01", 0, 49)

    again = import_citations(live_db, settings, la_file, mapping, placeholder_plates=True)
    assert (again.stored, again.already_present) == (0, rows_in)


@pytest.fixture
def first_row(la_file):
    """The LA mapping's row reader and the file's first row, which it maps."""
    rows = importer._Rows(citation_mapping("la"), placeholder_plates=True)
    with open(la_file, newline="") as fh:
        row = next(csv.DictReader(fh))
    assert rows.map(row)["issued_on"] == date(2020, 7, 1)
    return rows, row


def test_rows_dated_before_1900_or_in_the_future_are_rejected(first_row):
    rows, row = first_row
    assert rows.date_format == "%Y-%m-%d"
    for day, why in (
        (date(9999, 12, 31), "issued in the future"),
        (date.today() + timedelta(days=2), "issued in the future"),
        (date(1899, 12, 30), "issued before 1900"),
        (date(1, 1, 1), "issued before 1900"),
    ):
        with pytest.raises(ValueError, match=why):
            rows.map(row | {rows.cols["issue_date"]: day.isoformat()})


def test_a_row_with_nul_is_rejected(first_row):
    rows, row = first_row
    with pytest.raises(ValueError, match=r"a cell must not contain the NUL character \(U\+0000\)"):
        rows.map(row | {rows.cols["location"]: "600 WIL\x00SHIRE PL"})
