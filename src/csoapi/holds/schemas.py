"""A hold as it is placed, reviewed, lifted and read (contract section 6a)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from csoapi.core.schemas import AsString, Input, Name, Output, Text, Timestamp


class HoldType(StrEnum):
    investigative = "investigative"
    evidence = "evidence"
    administrative = "administrative"
    court = "court"


class HoldCreate(Input):
    type: Annotated[HoldType, AsString]
    basis: Name = Field(description="The legal basis: code section, warrant, court order")
    reason: Text = Field(max_length=2000)
    review_due: Timestamp | None = Field(
        default=None,
        description="When a supervisor must look at it again; defaults to the review "
        "interval (setting `CSOAPI_HOLD_REVIEW_DAYS`, 7 days) from now",
    )


class HoldReview(Input):
    note: Text = Field(max_length=2000)
    next_review_due: Timestamp | None = Field(
        default=None, description="Defaults to the review interval from now"
    )


class HoldLift(Input):
    reason: Text = Field(max_length=2000)


class HoldRead(Output):
    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    type: HoldType
    basis: str
    reason: str
    placed_by: uuid.UUID
    placed_by_name: str
    placed_at: datetime
    review_due: datetime
    review_overdue: bool
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    review_note: str | None
    active: bool
    released_by: uuid.UUID | None
    released_by_name: str | None
    released_at: datetime | None
    release_reason: str | None
    version: int


class Condition(Output):
    """One reason an action is refused (409 ``conditions``)."""

    code: str
    detail: str
