"""``csoapi import services FILE``: HSDS 3.0 JSON or the Tabular Data Package into the
directory. Each record is validated by the same input models as the admin API and written
in a savepoint of its own: a record refused is reported (where, id, why) and the others go
in. Re-run safe: a service already stored with the same or a later ``last_modified`` is
left alone; a later one updates it. Provenance: every row stored says its ``source`` (the
file), services keep HSDS's ``last_modified`` and ``assured_date``.

Values HSDS allows that cannot be true are not stored but reported as warnings, with the
record kept (the spec's own examples place a location at latitude 100)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from csoapi.core.context import RequestContext
from csoapi.core.errors import DomainError
from csoapi.core.imports import ImportReport, reason_of
from csoapi.directory import tables
from csoapi.directory.models import Taxonomy, TaxonomyTerm
from csoapi.directory.schemas import (
    OrganizationCreate,
    OrganizationFields,
    ServiceCreate,
    ServiceFields,
    ServiceUpdate,
)
from csoapi.directory.service import DirectoryService

SERVICE_SCALARS = {"name", "status", *ServiceFields.model_fields}
ORG_SCALARS = {"id", "name", "description", *OrganizationFields.model_fields}
PHONE = ("number", "extension", "type", "description")
SCHEDULE = ("valid_from", "valid_to", "freq", "interval", "opens_at", "closes_at", "notes")
LOCATION = ("location_type", "name", "alternate_name", "description", "transportation", "url")
ADDRESS = (
    "attention", "address_1", "address_2", "city", "region", "state_province", "postal_code",
    "country", "address_type",
)  # fmt: skip


@dataclass
class DirectoryImport(ImportReport):
    warnings: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return super().summary() | {"warnings": len(self.warnings)}


def _pick(row: dict[str, Any], names: Any) -> dict[str, Any]:
    return {k: row[k] for k in names if row.get(k) not in (None, "")}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Mapper:
    def __init__(self, svc: DirectoryService, report: DirectoryImport, where: str) -> None:
        self.svc = svc
        self.report = report
        self.where = where

    def warn(self, ident: str, text: str) -> None:
        self.report.warnings.append((self.where, ident, text))

    def languages(self, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        return [_pick(r, ("name", "code", "note")) for r in rows or [] if r.get("code")]

    def phones(self, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        return [
            _pick(r, PHONE) | {"languages": self.languages(r.get("languages"))} for r in rows or []
        ]

    def schedules(self, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        out = []
        for r in rows or []:
            days = [d.strip() for d in str(r.get("byday") or "").split(",") if d.strip()]
            out.append(_pick(r, SCHEDULE) | {"byday": days})
        return out

    def location(self, sal: dict[str, Any]) -> dict[str, Any]:
        loc = sal.get("location") or {}
        out = _pick(loc, LOCATION) | {
            "id": loc.get("id") or sal.get("location_id"),
            "service_at_location_id": sal.get("id"),
            "languages": self.languages(loc.get("languages")),
            "addresses": [_pick(a, ADDRESS) for a in loc.get("addresses") or []],
            "phones": self.phones(loc.get("phones")) + self.phones(sal.get("phones")),
            "schedules": self.schedules(loc.get("schedules"))
            + self.schedules(sal.get("schedules")),
        }
        lat, lon = loc.get("latitude"), loc.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                out |= {"latitude": float(lat), "longitude": float(lon)}
            else:
                self.warn(
                    str(out["id"]), f"location at ({lat}, {lon}) is off the Earth: not placed"
                )
        return out

    def terms(self, service: dict[str, Any], taxonomies: dict[str, dict]) -> list[str]:
        ids = []
        for attribute in service.get("attributes") or []:
            term = attribute.get("taxonomy_term")
            if isinstance(term, dict) and term.get("id"):
                self.term(term, taxonomies)
                ids.append(term["id"])
        return ids

    def term(self, term: dict[str, Any], taxonomies: dict[str, dict]) -> None:
        repo = self.svc.repo
        term_id = uuid.UUID(str(term["id"]))
        if repo.row(TaxonomyTerm, term_id) is not None:
            return
        detail = term.get("taxonomy_detail") or taxonomies.get(str(term.get("taxonomy_id")))
        taxonomy_id = term.get("taxonomy_id") or (detail or {}).get("id")
        if detail and detail.get("id") and repo.row(Taxonomy, uuid.UUID(detail["id"])) is None:
            repo.add(
                Taxonomy(
                    id=uuid.UUID(detail["id"]),
                    **_pick(detail, Taxonomy.model_fields.keys() - {"id"}),
                )
            )
        if taxonomy_id and repo.row(Taxonomy, uuid.UUID(str(taxonomy_id))) is None:
            self.warn(
                str(term_id), f"taxonomy {taxonomy_id} is not in the file: term kept without it"
            )
            taxonomy_id = None
        fields = _pick(term, ("code", "name", "description", "taxonomy", "language", "term_uri"))
        parent = term.get("parent_id")
        repo.add(
            TaxonomyTerm(
                id=term_id,
                **({"description": ""} | fields),
                parent_id=uuid.UUID(str(parent)) if parent else None,
                taxonomy_id=uuid.UUID(str(taxonomy_id)) if taxonomy_id else None,
            )
        )

    def service(self, row: dict[str, Any], org_id: Any, taxonomies: dict) -> dict[str, Any]:
        return _pick(row, SERVICE_SCALARS) | {
            "id": row.get("id"),
            "organization_id": org_id,
            "languages": self.languages(row.get("languages")),
            "phones": self.phones(row.get("phones")),
            "schedules": self.schedules(row.get("schedules")),
            "locations": [self.location(s) for s in row.get("service_at_locations") or []],
            "taxonomy_term_ids": self.terms(row, taxonomies),
        }


def _organization(svc: DirectoryService, org: dict[str, Any], report: DirectoryImport) -> bool:
    """The organization stored (True) or present already (False)."""
    data = OrganizationCreate.model_validate(
        _pick(org, ORG_SCALARS) | {"phones": _Mapper(svc, report, "").phones(org.get("phones"))}
    )
    if data.id is not None and svc.repo.organization(data.id) is not None:
        return False
    svc.create_organization(data)
    return True


def _one(svc: DirectoryService, record: tables.Record, report: DirectoryImport) -> str:
    """Store one record: ``stored``, ``present`` or an exception (the record refused)."""
    if record.service is None:
        return "stored" if _organization(svc, record.organization or {}, report) else "present"
    row = record.service
    if "_error" in row:
        raise ValueError(row["_error"])
    for required in ("id", "name", "status"):  # HSDS's required fields of a service
        if not row.get(required):
            raise ValueError(f"{required}: HSDS requires it of a service")
    org_id = row.get("organization_id") or (record.organization or {}).get("id")
    if record.organization and (
        svc.repo.organization(uuid.UUID(str(record.organization["id"]))) is None
    ):
        _organization(svc, record.organization, report)
    when = _when(row.get("last_modified"))
    current = svc.repo.find(uuid.UUID(str(row["id"]))) if row.get("id") else None
    if current is not None and (when is None or when <= current.last_modified):
        return "present"
    mapper = _Mapper(svc, report, record.where)
    data = ServiceCreate.model_validate(mapper.service(row, org_id, record.taxonomies))
    if current is None:
        svc.create_service(data, last_modified=when)
        return "stored"
    update = ServiceUpdate.model_validate(data.model_dump(exclude={"id", "organization_id"}))
    svc.update_service(current.id, update, None, last_modified=when)
    return "stored"


def import_services(session: Session, ctx: RequestContext, path: Path) -> DirectoryImport:
    report = DirectoryImport()
    svc = DirectoryService(session, ctx, source=f"import:{path.name}"[:200])
    for record in tables.read(path):
        report.rows += 1
        ident = str((record.service or record.organization or {}).get("id", ""))
        try:
            with session.begin_nested():
                outcome = _one(svc, record, report)
        except IntegrityError:
            report.rejected.append((record.where, ident, "conflicts with a stored row"))  # type: ignore[arg-type]
            continue
        except (ValidationError, DomainError, ValueError, TypeError, KeyError) as exc:
            reason = exc.detail if isinstance(exc, DomainError) else reason_of(exc)
            report.rejected.append((record.where, ident, reason))  # type: ignore[arg-type]
            continue
        if outcome == "stored":
            report.stored += 1
        else:
            report.already_present += 1
    return report
