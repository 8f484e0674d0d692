"""What one feature tells another about a record of its own that names the other's: the
neutral shape a feature contributes to a cross-feature read (the call timeline), so that the
reader imports the contributors and no contributor imports the reader."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class LinkedRecord:
    at: datetime
    kind: str  # e.g. crime_report, citation_issued
    record_type: str  # report, citation, ...
    record_id: uuid.UUID
    text: str | None


# (session, call id) -> the contributing feature's records that name the call.
CallLinks = Callable[[Any, uuid.UUID], list[LinkedRecord]]
