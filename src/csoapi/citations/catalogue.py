"""The events of citations (the payment portals follow them: no plate in any) and of
payments (reconciliation)."""

from __future__ import annotations

import uuid

from csoapi.core.event_types import EventData, EventType

CITATIONS, PAYMENTS = "citations:lookup", "payments:read"


class CitationData(EventData):
    id: uuid.UUID
    number: str
    kind: str
    state: str
    violation_code: str
    version: int


class CitationAdjudicated(CitationData):
    outcome: str


class PaymentData(EventData):
    """A payment to a citation, to an impound (which names its impound; an impound's
    payment that also cleared a citation names both) or for a permit's renewal (which names
    its permit)."""

    id: uuid.UUID
    citation_id: uuid.UUID | None = None
    citation_number: str | None = None
    impound_id: uuid.UUID | None = None
    impound_number: str | None = None
    permit_id: uuid.UUID | None = None
    permit_number: str | None = None
    kind: str
    amount_cents: int
    method: str
    reverses_id: uuid.UUID | None


EVENTS = (
    EventType("citation.issued", "A citation or warning was issued", CITATIONS, CitationData),
    EventType("citation.voided", "A citation was voided", CITATIONS, CitationData),
    EventType("citation.contested", "A citation was contested", CITATIONS, CitationData),
    EventType("citation.adjudicated", "A contest was decided", CITATIONS, CitationAdjudicated),
    EventType(
        "citation.collections", "A citation was referred to collections", CITATIONS, CitationData
    ),
    EventType("citation.paid", "A citation's balance reached zero", CITATIONS, CitationData),
    EventType(
        "payment.posted",
        "A payment was posted (citation, impound or permit renewal)",
        PAYMENTS,
        PaymentData,
    ),
    EventType("payment.reversed", "A payment was reversed", PAYMENTS, PaymentData),
)
