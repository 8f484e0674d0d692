"""What every CSV import shares: mappings, the header check, the row reader, the report of
what happened, and the rejects file.

An import fails loudly: a file whose header lacks the mapping's columns is refused before any
row is read (``require_columns``); the CLI exits non-zero when more rows are rejected than
``--max-reject-rate`` allows (``ImportReport.failed``), with the report's ``hints`` (what to
do first, e.g. import the code table the rows name); and the rejects file holds each rejected
row as it was in the file, plus its line and reason, so it can be fixed and fed back
(``write_rejects``)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from csoapi.core.schemas import NUL_MESSAGE


class MappingError(ValueError):
    pass


def load_mapping(package: str, name_or_path: str) -> dict[str, Any]:
    """A mapping shipped in ``package`` (by name) or a JSON file (by path)."""
    path = Path(name_or_path)
    try:
        if path.suffix == ".json" and path.is_file():
            return json.loads(path.read_text())
        return json.loads(resources.files(package).joinpath(f"{name_or_path}.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise MappingError(f"no usable mapping '{name_or_path}': {exc}") from None


# Columns the rejects file adds after the file's own (dropped again when it is re-fed).
LINE_COLUMN, REASON_COLUMN = "_line", "_reason"
DEFAULT_MAX_REJECT_RATE = 0.01


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    already_present: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, id, reason)
    # What the operator should do about the rejections (say, import a code table first).
    hints: list[str] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def failed(self, max_reject_rate: float) -> str | None:
        """Why this import counts as failed (rejected beyond the rate), or None."""
        if not self.rows or self.rejected_count <= max_reject_rate * self.rows:
            return None
        share = self.rejected_count / self.rows
        return (
            f"{self.rejected_count} of {self.rows} rows rejected ({share:.1%}, more than "
            f"--max-reject-rate {max_reject_rate:.1%})" + "".join(f"; {h}" for h in self.hints)
        )

    def summary(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for _, _, reason in self.rejected:
            key = re.sub(r"'[^']*'", "'…'", reason)
            reasons[key] = reasons.get(key, 0) + 1
        out: dict[str, Any] = {
            "rows": self.rows,
            "stored": self.stored,
            "already_present": self.already_present,
            "rejected": self.rejected_count,
            "rejected_by_reason": reasons,
        }
        if self.hints:
            out["hints"] = self.hints
        return out


def header_of(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [cell.strip() for cell in next(csv.reader(fh), [])]


def require_columns(path: Path, columns: list[str], kind: str) -> None:
    """Refuse, before any row is read, a file whose header lacks ``columns``: it is not the
    ``kind`` of export the mapping describes (a wrong file, or the wrong mapping)."""
    header = set(header_of(path))
    if not header:
        raise MappingError(f"{path} has no header row")
    missing = [c for c in dict.fromkeys(columns) if c not in header]
    if missing:
        shown = ", ".join(sorted(header)[:12]) + (" …" if len(header) > 12 else "")
        raise MappingError(
            f"{path.name} is not {kind}: its header lacks {', '.join(missing)} "
            f"(it has: {shown}); pick the right file or --mapping"
        )


def mapped_columns(columns: dict[str, Any]) -> list[str]:
    """The file columns a mapping's ``columns`` section names (lists flattened, nulls out)."""
    out: list[str] = []
    for value in columns.values():
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


def write_rejects(source: Path, report: ImportReport, out: Path) -> int:
    """Write the rejected rows of ``source`` to ``out`` exactly as they were (same header,
    same cells), each followed by its line and reason: fix the cells, feed the file back
    (the two added columns are ignored by the importers). Returns the rows written."""
    reasons: dict[int, list[str]] = {}
    for line, _, reason in report.rejected:
        reasons.setdefault(line, []).append(reason)
    written = 0
    with (
        source.open(newline="", encoding="utf-8-sig") as fh,
        out.open("w", newline="", encoding="utf-8") as dst,
    ):
        reader = csv.reader(fh)
        header = next(reader, [])
        keep = [i for i, name in enumerate(header) if name not in (LINE_COLUMN, REASON_COLUMN)]
        writer = csv.writer(dst)
        writer.writerow([header[i] for i in keep] + [LINE_COLUMN, REASON_COLUMN])
        for cells in reader:
            found = reasons.get(reader.line_num)
            if found is None or not cells:
                continue
            cells = cells + [""] * (len(header) - len(cells))
            writer.writerow([cells[i] for i in keep] + [reader.line_num, "; ".join(found)])
            written += 1
    return written


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with trimmed values); a UTF-8 BOM is dropped."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise MappingError(f"{path} has no header row")
        width = len(header)
        for cells in reader:
            if not cells:
                continue  # a blank line, as csv.DictReader skips it
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            # cells beyond the header have no name and are dropped
            yield reader.line_num, {k: v.strip() for k, v in zip(header, cells, strict=False)}


def refuse_nul(row: dict[str, str]) -> None:
    """Rejects a row with U+0000 in any cell, as the API refuses it (PostgreSQL's text cannot
    store it: one such row would fail its whole batch)."""
    if any("\x00" in value for value in row.values()):
        raise ValueError(f"a cell {NUL_MESSAGE}")


def count_rows(path: Path) -> int:
    """Data rows (not lines: quoted cells may hold line breaks), as read_rows yields them."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = sum(1 for cells in csv.reader(fh) if cells)
    return max(rows - 1, 0)  # less the header


def reason_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc)


_DOLLARS = re.compile(r"\d+(\.\d{1,2})?")


def dollars_to_cents(raw: str) -> int | None:
    """'$1,234.5' → 123450 exactly (no floats); blank → None; anything else is refused."""
    text = raw.replace("$", "").replace(",", "").strip()
    if not text:
        return None
    if not _DOLLARS.fullmatch(text):
        raise ValueError(f"unreadable fine amount '{raw[:20]}'")
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)
