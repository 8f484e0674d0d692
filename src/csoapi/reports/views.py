"""How a report is shown with its parts, and the one redaction of its people.

Person detail (phone, address, date of birth; a juvenile's name; the follow-up contacts)
is need-to-know. The author, reviewers and records staff see it all; every other reader
sees the report with it withheld (``COLLEAGUE``); the release copy and the RMS export
withhold what a release withholds (``RELEASE``). Both go through ``redact``: one rule for
what "withheld" means, two lists of whom it applies to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from csoapi.reports.models import Report, ReportPerson, ReportSupplement, ReportVehicle
from csoapi.reports.repository import Parts
from csoapi.reports.schemas import (
    PersonRead,
    PersonRole,
    ReleaseCopy,
    ReportLocation,
    ReportRead,
    SupplementRead,
    VehicleOut,
)

JUVENILE_LABEL = "juvenile names"


@dataclass(frozen=True, slots=True)
class Redaction:
    """Whose contact data (phone, address, date of birth) is withheld, and the label a
    view lists when it withheld some. Juveniles' names are withheld under every rule."""

    contact_roles: frozenset[str]
    label: str


# A release (public records request, RMS export): the people a report protects.
RELEASE = Redaction(frozenset({"victim", "witness"}), "victim and witness contact data")
# A reader without need to know: nobody's contact data.
COLLEAGUE = Redaction(frozenset(get_args(PersonRole)), "person contact data")


def _vehicles(rows: list[ReportVehicle]) -> list[VehicleOut]:
    return [
        VehicleOut(
            role=v.role,
            plate=v.plate,
            plate_state=v.plate_state,
            vin=v.vin,
            make=v.make,
            model=v.model,
            color=v.color,
            insurance=v.insurance,
            driver=v.driver_index,
        )
        for v in rows
    ]


def _supplements(rows: list[ReportSupplement]) -> list[SupplementRead]:
    return [SupplementRead.model_validate(s) for s in rows]


def redact(
    persons: list[ReportPerson], rule: Redaction | None
) -> tuple[list[PersonRead], list[str]]:
    """The people as ``rule`` lets them be seen (``None``: in full), and the labels of what
    was withheld. A person the rule applies to is marked ``redacted`` whether or not the
    fields held anything: a null then never reads as "not recorded"."""
    out, labels = [], set()
    for p in persons:
        person = PersonRead.model_validate(p)
        if rule is None:
            out.append(person)
            continue
        withheld: dict[str, None] = {}
        if p.role in rule.contact_roles:
            withheld |= {"phone": None, "address": None, "date_of_birth": None}
            if p.phone or p.address or p.date_of_birth:
                labels.add(rule.label)
        if p.juvenile:
            withheld |= {"name": None, "date_of_birth": None}
            labels.add(JUVENILE_LABEL)
        if withheld:
            person = person.model_copy(update=withheld | {"redacted": True})
        out.append(person)
    return out, sorted(labels)


def _location(r: Report) -> ReportLocation | None:
    return ReportLocation(address=r.address, beat=r.beat) if r.address else None


_READ_FIELDS = (
    "id", "number", "kind", "status", "author_id", "call_id", "offense_code", "hit_and_run",
    "narrative", "occurred_from", "occurred_to", "submitted_at", "reviewed_by",
    "return_reason", "approved_at", "processed_at", "version", "created_at", "updated_at",
)  # fmt: skip


def report_view(r: Report, parts: Parts, rule: Redaction | None) -> ReportRead:
    """The officers' view: in full (``rule`` None), or with person detail withheld."""
    persons, redactions = redact(parts.persons, rule)
    return ReportRead(
        **{k: getattr(r, k) for k in _READ_FIELDS},
        location=_location(r),
        persons=persons,
        vehicles=_vehicles(parts.vehicles),
        supplements=_supplements(parts.supplements),
        redactions=redactions,
    )


def release_copy(r: Report, parts: Parts) -> ReleaseCopy:
    persons, redactions = redact(parts.persons, RELEASE)
    return ReleaseCopy(
        id=r.id,
        number=r.number,
        kind=r.kind,
        status=r.status,
        offense_code=r.offense_code,
        hit_and_run=r.hit_and_run,
        narrative=r.narrative,
        occurred_from=r.occurred_from,
        occurred_to=r.occurred_to,
        location=_location(r),
        persons=persons,
        vehicles=_vehicles(parts.vehicles),
        supplements=_supplements(parts.supplements),
        approved_at=r.approved_at,
        processed_at=r.processed_at,
        redactions=redactions,
    )
