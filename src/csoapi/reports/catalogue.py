"""The events of reports: reviewers follow the workflow, RMS vendors what is approved. No
narrative and no people in any of them."""

from __future__ import annotations

import uuid

from csoapi.core.event_types import EventData, EventType

REVIEW, PUBLIC = "reports:review", "reports:export"


class ReportData(EventData):
    id: uuid.UUID
    number: str | None
    kind: str
    status: str
    offense_code: str | None
    version: int


EVENTS = (
    EventType("report.submitted", "A report was submitted for review", REVIEW, ReportData),
    EventType("report.returned", "A report was returned to its author", REVIEW, ReportData),
    EventType("report.approved", "A report was approved", PUBLIC, ReportData),
    EventType("report.processed", "Records processed a report (numbered)", PUBLIC, ReportData),
)
