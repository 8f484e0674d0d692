"""Importing the real Chicago towed-vehicles file: every odd row reported by line and
reason, inventory numbers kept as text, re-runs safe, history outside the worklists."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
import sqlalchemy as sa

from csoapi.impounds.importer import import_impounds, impound_mapping
from csoapi.impounds.models import Impound
from tests.factories import headers_for
from tests.impounds.helpers import URL


@pytest.fixture
def chicago_file(shared_data):
    path = shared_data / "chicago_towed_vehicles_2022-02_05.csv"
    if not path.is_file():
        pytest.skip("Chicago towed-vehicles file is absent from the shared data folder")
    return path


def _expected(path):
    """What the file holds, counted independently of the importer."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    no_plate = sum(1 for r in rows if not r["Plate"].strip())
    no_state = sum(1 for r in rows if r["Plate"].strip() and not r["State"].strip())
    odd_state = sum(
        1
        for r in rows
        if r["Plate"].strip() and r["State"].strip() and not r["State"].strip().isalpha()
    )
    return rows, no_plate, no_state, odd_state


async def test_import_the_chicago_file(live_db, settings, chicago_file, client, db):
    rows, no_plate, no_state, odd_state = _expected(chicago_file)
    assert (len(rows), no_plate) == (3208, 554)
    report = import_impounds(live_db, settings, chicago_file, impound_mapping("chicago"))
    assert report.rows == 3208
    assert report.rows == report.stored + report.rejected_count + report.already_present
    summary = report.summary()["rejected_by_reason"]
    reasons = Counter(
        "repeat" if reason.startswith("repeats") else reason for _, _, reason in report.rejected
    )
    reasons.update({k: v for k, v in summary.items() if "'…'" in k})
    assert reasons["no plate number"] == no_plate
    assert reasons["no plate state"] == no_state
    assert reasons["plate state '…' is not valid"] == odd_state == 1  # B1
    assert reasons["plate '…' is not valid"] == 1  # 'BD32030;'
    assert ("plate state 'B1' is not valid") in {reason for _, _, reason in report.rejected}
    whole, numbers, exact, repeats = set(), set(), 0, 0
    for r in rows:
        valid = bool(r["Plate"].strip()) and r["State"].strip().isalpha() and ";" not in r["Plate"]
        exact += valid and tuple(r.values()) in whole
        repeats += valid and r["Inventory Number"] in numbers
        whole.add(tuple(r.values()))
        if valid:
            numbers.add(r["Inventory Number"])
    # Exact duplicates, and one inventory number on two different rows: each reported
    # against the line it repeats.
    assert (exact, repeats, reasons["repeat"]) == (13, 14, 14)
    for line, _ident, reason in report.rejected:
        assert line >= 2 and reason
    with live_db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Impound)) == report.stored
        first = s.scalars(sa.select(Impound).where(Impound.external_id == "0254244")).one()
        assert (first.plate, first.plate_state, first.make, first.color) == (
            "BC96112",
            "IL",
            "MITS",
            "RED",
        )
        assert first.storage_lot == "400 E. Lower Wacker"
        assert first.towed_at.isoformat() == "2022-03-11T06:00:00+00:00"  # midnight in Chicago
        assert (first.status, first.source, first.next_deadline_at) == ("released", "import", None)
    again = import_impounds(live_db, settings, chicago_file, impound_mapping("chicago"))
    assert (again.stored, again.already_present) == (0, report.stored)

    # History stays out of the live worklists and the portal's lookup, and reads cleanly.
    records = headers_for(db, settings, "records")
    work = await client.get(
        URL, params={"deadline_due_before": "2100-01-01T00:00:00Z"}, headers=records
    )
    assert work.json()["items"] == []
    stored = await client.get(URL, params={"status": "stored"}, headers=records)
    assert stored.json()["items"] == []
    one = await client.get(f"{URL}/{first.id}", headers=records)
    assert one.status_code == 200, one.text
    assert (one.json()["deadlines"], one.json()["external_id"]) == ([], "0254244")
    fees = await client.get(f"{URL}/{first.id}/fees", headers=records)
    assert fees.json()["total_cents"] == 0


def test_a_bad_mapping_fails_before_any_row(tmp_path, live_db, settings):
    from csoapi.core.imports import MappingError

    with pytest.raises(MappingError):
        impound_mapping("nowhere")
    bad = impound_mapping("chicago") | {"constants": {"reason": "BORED"}}
    with pytest.raises(ValueError):
        import_impounds(live_db, settings, tmp_path / "x.csv", bad)
