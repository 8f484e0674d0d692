"""The shared import pieces: the CSV row reader, the row counter and the bulk writer."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.bulk import insert_rows
from csoapi.core.imports import count_rows, read_rows


def test_rows_are_padded_trimmed_and_blank_lines_skipped(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text('\ufeffa,b,c\n 1 , 2 ,3\n\n4,5\n6,7,8,extra\n"multi\nline",9,10\n', "utf-8")
    rows = list(read_rows(f))
    assert rows == [
        (2, {"a": "1", "b": "2", "c": "3"}),
        (4, {"a": "4", "b": "5", "c": ""}),  # a short row reads its missing cells as blank
        (5, {"a": "6", "b": "7", "c": "8"}),  # a cell beyond the header has no name: dropped
        (7, {"a": "multi\nline", "b": "9", "c": "10"}),  # line number where the row ends
    ]
    assert count_rows(f) == len(rows) == 4


def test_count_rows_of_empty_and_header_only_files(tmp_path):
    empty, header = tmp_path / "e.csv", tmp_path / "h.csv"
    empty.write_text("")
    header.write_text("a,b\n")
    assert count_rows(empty) == 0 and count_rows(header) == 0
    assert list(read_rows(header)) == []


def test_bulk_insert_writes_json_and_utc_columns(live_db):
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    rows = [
        {"at": at, "action": "bulk.test", "outcome": "success", "detail": {"n": i, "s": "ü'\\"}}
        for i in range(3)
    ] + [{"at": at, "action": "bulk.test", "outcome": "success", "detail": None}]
    with live_db() as s:
        insert_rows(s, AuditEvent.__table__, rows)
        s.commit()
    with live_db() as s:
        stored = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "bulk.test").order_by(AuditEvent.id)
        ).all()
    assert [e.detail for e in stored] == [r["detail"] for r in rows]
    assert {e.at for e in stored} == {at}
    with live_db() as s:
        insert_rows(s, AuditEvent.__table__, [])  # nothing to do is not an error
