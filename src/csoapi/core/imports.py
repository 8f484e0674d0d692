"""What every CSV import shares: mappings, the row reader, the report of what happened."""

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


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    already_present: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, id, reason)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def summary(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for _, _, reason in self.rejected:
            key = re.sub(r"'[^']*'", "'…'", reason)
            reasons[key] = reasons.get(key, 0) + 1
        return {
            "rows": self.rows,
            "stored": self.stored,
            "already_present": self.already_present,
            "rejected": self.rejected_count,
            "rejected_by_reason": reasons,
        }


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
