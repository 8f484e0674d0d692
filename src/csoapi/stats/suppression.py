"""Small-cell suppression for published counts, with complementary suppression.

A count from 1 to ``threshold - 1`` is withheld. Where a line of a table (a row with its
row total, a column with its column total, the row totals with the grand total, ...)
publishes its total, a single withheld entry could be recovered by subtraction, so the
line's smallest other non-zero entry is withheld too (or, when there is none, the total).
That can leave another line with a single withheld entry, so this repeats until every line
whose total is published withholds none or at least two of its entries. Zeros are
published: a zero tells nothing about anyone.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    members: tuple[Hashable, ...]
    total: Hashable


def is_small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def withhold(values: Mapping[Hashable, int], lines: Sequence[Line], threshold: int) -> set:
    """The entries of ``values`` (cells and totals) to withhold."""
    hidden = {k for k, v in values.items() if is_small(v, threshold)}
    changed = True
    while changed:
        changed = False
        for line in lines:
            if line.total in hidden:
                continue
            if sum(1 for m in line.members if m in hidden) != 1:
                continue
            rest = [m for m in line.members if m not in hidden and values[m] > 0]
            if rest:
                hidden.add(min(rest, key=lambda m: (values[m], repr(m))))
            else:
                hidden.add(line.total)
            changed = True
    return hidden


def exposed(values: Mapping[Hashable, int], lines: Sequence[Line], hidden: set) -> list[Line]:
    """Lines from which a withheld entry can be worked out exactly: a published total and
    a single withheld member. ``withhold`` leaves none."""
    return [
        line
        for line in lines
        if line.total not in hidden and sum(1 for m in line.members if m in hidden) == 1
    ]


def two_way(cells: Mapping[tuple[Hashable, Hashable], int]) -> tuple[dict, list[Line]]:
    """Cells keyed (row, column) with their row, column and grand totals: the values and
    the lines a reader can subtract along. Cells are ``("cell", r, c)``, totals
    ``("row", r)``, ``("col", c)`` and ``("all",)``."""
    values: dict[Hashable, int] = {}
    rows: dict[Hashable, list[Hashable]] = {}
    cols: dict[Hashable, list[Hashable]] = {}
    for (r, c), v in cells.items():
        key = ("cell", r, c)
        values[key] = v
        rows.setdefault(r, []).append(key)
        cols.setdefault(c, []).append(key)
    for r, keys in rows.items():
        values[("row", r)] = sum(values[k] for k in keys)
    for c, keys in cols.items():
        values[("col", c)] = sum(values[k] for k in keys)
    values[("all",)] = sum(cells.values())
    lines = [Line(tuple(keys), ("row", r)) for r, keys in rows.items()]
    lines += [Line(tuple(keys), ("col", c)) for c, keys in cols.items()]
    lines.append(Line(tuple(("row", r) for r in rows), ("all",)))
    lines.append(Line(tuple(("col", c) for c in cols), ("all",)))
    return values, lines


def one_way(cells: Mapping[Hashable, int]) -> tuple[dict, list[Line]]:
    """A breakdown and its total: cells ``("cell", k)``, the total ``("all",)``."""
    values: dict[Hashable, int] = {("cell", k): v for k, v in cells.items()}
    values[("all",)] = sum(cells.values())
    return values, [Line(tuple(("cell", k) for k in cells), ("all",))]
