from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Unit = Literal["count", "cents", "seconds", "share"]


class Cell(BaseModel):
    labels: dict[str, str] = Field(
        description="The cell's place in its figure: one label per dimension ('(all)' for a "
        "total), or the statistic ('n', 'median', 'p90', 'part', 'whole', 'share')"
    )
    value: int | float | None = Field(description="null when withheld or not defined")
    unit: Unit
    suppressed: bool = Field(
        description="Withheld: a small cell, or a cell that would let one be worked out"
    )


class FigureRead(BaseModel):
    id: str
    definition: str = Field(description="What the figure counts, in words")
    cells: list[Cell]


class Filters(BaseModel):
    beat: str | None
    call_type: str | None


class Summary(BaseModel):
    period_from: datetime = Field(description="Inclusive")
    period_to: datetime = Field(description="Exclusive")
    filters: Filters
    small_cell_threshold: int = Field(
        description="Counts from 1 to this minus one are withheld, and so is any cell from "
        "which one could be recovered by subtraction"
    )
    figures: list[FigureRead]
