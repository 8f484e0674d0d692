"""What a feature contributes to the programme statistics (``csoapi.stats``): raw figures
over a period, each with its definition in words. The statistics package withholds small
cells and renders them; features only count."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["count", "breakdown", "table", "money", "durations", "share"]


@dataclass(frozen=True)
class StatsQuery:
    start: datetime  # inclusive
    end: datetime  # exclusive
    beat: str | None = None
    call_type: str | None = None


@dataclass(frozen=True)
class Figure:
    """``count``: ``counts[()]``; ``breakdown``: ``counts[(label,)]`` over ``dims[0]``;
    ``table``: ``counts[(row, col)]`` over ``dims``; ``money``: ``cents``; ``durations``:
    ``seconds`` (the sample, any order); ``share``: ``counts[("part",)]`` of
    ``counts[("whole",)]``."""

    id: str
    definition: str
    kind: Kind
    dims: tuple[str, ...] = ()
    counts: Mapping[tuple[str, ...], int] = field(default_factory=dict)
    cents: int | None = None
    seconds: Sequence[float] = ()
    n: int | None = None
    median: float | None = None
    p90: float | None = None


# (session, query) -> the contributing feature's figures.
StatsSource = Callable[[Any, StatsQuery], list[Figure]]


def percentile_cont(ordered: Sequence[float], p: float) -> float | None:
    """The ``p`` quantile with linear interpolation between the closest ranks: what
    PostgreSQL's ``percentile_cont`` answers, for the databases without it."""
    if not ordered:
        return None
    rank = p * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
