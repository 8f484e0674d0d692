"""A call's timeline as the API shows it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from csoapi.core.schemas import Output


class TimelineEntry(Output):
    at: datetime
    kind: str
    actor: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    assigned_to: uuid.UUID | None = None
    text: str | None = None
    record_type: str | None = Field(
        default=None, description="For linked records: report, citation, …"
    )
    record_id: uuid.UUID | None = None
    detail: dict[str, Any] | None = None


class Timeline(Output):
    call_id: uuid.UUID
    items: list[TimelineEntry]
