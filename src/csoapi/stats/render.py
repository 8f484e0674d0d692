"""A feature's raw figure as published cells: small counts withheld, with their
complements (``suppression``), each cell labelled and united."""

from __future__ import annotations

from collections.abc import Hashable

from csoapi.core.figures import Figure
from csoapi.stats.schemas import Cell, FigureRead
from csoapi.stats.suppression import is_small, one_way, two_way, withhold

ALL = "(all)"


def publish(figure: Figure, threshold: int) -> FigureRead:
    cells = _RENDER[figure.kind](figure, threshold)
    return FigureRead(id=figure.id, definition=figure.definition, cells=cells)


def _count(f: Figure, k: int) -> list[Cell]:
    value = f.counts.get((), 0)
    small = is_small(value, k)
    return [Cell(labels={}, value=None if small else value, unit="count", suppressed=small)]


def _labelled(f: Figure, key: tuple[Hashable, ...]) -> dict[str, str]:
    kind = key[0]
    if kind == "cell":
        return {d: str(v) for d, v in zip(f.dims, key[1:], strict=True)}
    if kind == "row":
        return {f.dims[0]: str(key[1]), **({f.dims[1]: ALL} if len(f.dims) > 1 else {})}
    if kind == "col":
        return {f.dims[0]: ALL, f.dims[1]: str(key[1])}
    return dict.fromkeys(f.dims, ALL)


def _cells(f: Figure, k: int, values: dict, lines: list) -> list[Cell]:
    hidden = withhold(values, lines, k)
    return [
        Cell(
            labels=_labelled(f, key),
            value=None if key in hidden else v,
            unit="count",
            suppressed=key in hidden,
        )
        for key, v in sorted(values.items(), key=lambda kv: (kv[0][0] != "cell", repr(kv[0])))
    ]


def _breakdown(f: Figure, k: int) -> list[Cell]:
    values, lines = one_way({label: n for (label,), n in f.counts.items()})
    return _cells(f, k, values, lines)


def _table(f: Figure, k: int) -> list[Cell]:
    values, lines = two_way(dict(f.counts))  # type: ignore[arg-type]
    return _cells(f, k, values, lines)


def _money(f: Figure, k: int) -> list[Cell]:
    # An amount from a handful of payments would tell what one person paid.
    small = f.n is not None and is_small(f.n, k)
    value = None if small else f.cents
    return [Cell(labels={}, value=value, unit="cents", suppressed=small)]


def _durations(f: Figure, k: int) -> list[Cell]:
    small = is_small(f.n or 0, k)
    stats = (("n", f.n, "count"), ("median", f.median, "seconds"), ("p90", f.p90, "seconds"))
    return [
        Cell(
            labels={"statistic": name},
            value=None if small or value is None else round(float(value), 1),
            unit=unit,  # type: ignore[arg-type]
            suppressed=small,
        )
        for name, value, unit in stats
    ]


def _share(f: Figure, k: int) -> list[Cell]:
    part, whole = f.counts.get(("part",), 0), f.counts.get(("whole",), 0)
    small = is_small(part, k) or is_small(whole, k) or is_small(whole - part, k)
    share = round(part / whole, 4) if whole else None
    stats = (("part", part, "count"), ("whole", whole, "count"), ("share", share, "share"))
    return [
        Cell(
            labels={"statistic": name},
            value=None if small else value,
            unit=unit,  # type: ignore[arg-type]
            suppressed=small,
        )
        for name, value, unit in stats
    ]


_RENDER = {
    "count": _count,
    "breakdown": _breakdown,
    "table": _table,
    "money": _money,
    "durations": _durations,
    "share": _share,
}
