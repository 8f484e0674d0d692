"""How a citation is shown: the officers' view (VIN, notes, the balance in lines) and the
portal's (street level, the amounts, nothing an officer wrote)."""

from __future__ import annotations

from typing import Any

from csoapi.citations import money
from csoapi.citations.schemas import (
    Adjudication,
    BalanceLine,
    CitationRead,
    CitationStatus,
    PortalCitation,
    VehicleRead,
)

_OFFICER_FIELDS = (
    "id", "number", "kind", "plate", "plate_state", "vin", "location", "beat",
    "violation_code", "violation_description", "issued_at", "issued_by", "call_id", "notes",
    "permit_zone", "permit_override_reason", "fine_cents", "due_date", "contest_reason",
    "void_reason", "voided_at", "version",
    "created_at", "updated_at",
)  # fmt: skip


def street_level(address: str) -> str:
    """'1426 HARRIDGE DR' → 'HARRIDGE DR': portals show the street, not the house."""
    parts = address.split()
    while parts and any(ch.isdigit() for ch in parts[0]) and len(parts) > 1:
        parts = parts[1:]
    return " ".join(parts)


def officer_view(c: Any, b: money.Breakdown, status: CitationStatus) -> CitationRead:
    """``c`` (a Citation) for officers and records, with ``b`` its balance and ``status``."""
    adjudication = (
        Adjudication(
            outcome=c.adjudication,
            decided_at=c.adjudicated_at,
            reason=c.adjudication_reason,
            reduced_to_cents=c.reduced_to_cents,
        )
        if c.adjudication and c.adjudicated_at
        else None
    )
    return CitationRead(
        **{k: getattr(c, k) for k in _OFFICER_FIELDS},
        status=status,
        vehicle=VehicleRead(make=c.vehicle_make, body=c.vehicle_body, color=c.vehicle_color),
        penalties_cents=b.penalties_cents,
        reductions_cents=b.reductions_cents,
        paid_cents=b.paid_cents,
        balance_cents=b.balance_cents,
        balance_lines=[
            BalanceLine(kind=ln.kind, amount_cents=ln.amount_cents, on=ln.on, rule=ln.rule)
            for ln in b.lines
        ],
        adjudication=adjudication,
    )


def portal_view(c: Any, b: money.Breakdown, status: CitationStatus) -> PortalCitation:
    """``c`` (a Citation, or a lookup row with its columns) as a payment portal sees it."""
    return PortalCitation(
        id=c.id,
        number=c.number,
        issued_at=c.issued_at,
        violation_code=c.violation_code,
        violation_description=c.violation_description,
        location=street_level(c.location),
        plate=c.plate,
        plate_state=c.plate_state,
        fine_cents=c.fine_cents,
        penalties_cents=b.penalties_cents,
        paid_cents=b.paid_cents,
        balance_cents=b.balance_cents,
        due_date=c.due_date,
        status=status,
    )
