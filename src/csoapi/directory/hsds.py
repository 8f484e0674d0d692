"""The directory as an Open Referral HSDS 3.0 publication: each table's fields by the
spec's names (values the spec has no room for, such as a null, are left out) and the
spec's page envelope. Every body here validates against the HSDS schemas (tested).

HSDS pages by number (``page``, ``per_page``), so these listings are numbered pages in a
stable order (name, id): the one place in this API that does not use keyset cursors,
because the standard says how its clients page."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import NotFound, Unprocessable
from csoapi.directory import geo
from csoapi.directory.models import (
    Address,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from csoapi.directory.repository import Bundle, DirectoryRepository

HSDS_VERSION = "3.0"
PROFILE = "https://docs.openreferral.org/en/latest/hsds/"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"

ORGANIZATION_FIELDS = (
    "id", "name", "alternate_name", "description", "email", "website", "tax_status", "tax_id",
    "year_incorporated", "legal_status", "logo", "uri", "parent_organization_id",
)  # fmt: skip
SERVICE_FIELDS = (
    "id", "organization_id", "name", "alternate_name", "description", "url", "email", "status",
    "interpretation_services", "application_process", "fees_description", "wait_time",
    "accreditations", "eligibility_description", "minimum_age", "maximum_age", "assured_date",
    "assurer_email", "alert", "last_modified",
)  # fmt: skip
LOCATION_FIELDS = (
    "id", "location_type", "url", "organization_id", "name", "alternate_name", "description",
    "transportation", "latitude", "longitude", "external_identifier", "external_identifier_type",
)  # fmt: skip
ADDRESS_FIELDS = (
    "id", "location_id", "attention", "address_1", "address_2", "city", "region",
    "state_province", "postal_code", "country", "address_type",
)  # fmt: skip
PHONE_FIELDS = (
    "id", "location_id", "service_id", "organization_id", "service_at_location_id", "number",
    "extension", "type", "description",
)  # fmt: skip
SCHEDULE_FIELDS = (
    "id", "service_id", "location_id", "service_at_location_id", "valid_from", "valid_to",
    "dtstart", "until", "freq", "interval", "byday", "bymonthday", "opens_at", "closes_at",
    "description", "schedule_link", "attending_type", "notes",
)  # fmt: skip
TERM_FIELDS = (
    "id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id", "language",
    "term_uri",
)  # fmt: skip
TAXONOMY_FIELDS = ("id", "name", "description", "uri", "version")
SAL_FIELDS = ("id", "service_id", "location_id", "description")


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def fields(row: Any, names: Sequence[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(row, name, None)
        if value is not None:
            out[name] = _json(value)
    return out


def _languages(items: list[dict[str, Any]], **owner: uuid.UUID) -> list[dict[str, Any]]:
    extra = {k: str(v) for k, v in owner.items()}
    return [{k: v for k, v in (lang | extra).items() if v is not None} for lang in items]


def phone(p: Phone) -> dict[str, Any]:
    return fields(p, PHONE_FIELDS) | {"languages": _languages(p.languages, phone_id=p.id)}


def schedule(s: Schedule) -> dict[str, Any]:
    return fields(s, SCHEDULE_FIELDS)


def address(a: Address) -> dict[str, Any]:
    return fields(a, ADDRESS_FIELDS)


def location(loc: Location, b: Bundle) -> dict[str, Any]:
    return fields(loc, LOCATION_FIELDS) | {
        "languages": _languages(loc.languages, location_id=loc.id),
        "addresses": [address(a) for a in b.addresses.get(loc.id, [])],
        "phones": [phone(p) for p in b.phones.get(loc.id, [])],
        "schedules": [schedule(s) for s in b.schedules.get(loc.id, [])],
    }


def term(t: TaxonomyTerm) -> dict[str, Any]:
    return fields(t, TERM_FIELDS)


def service_full(s: Service, b: Bundle) -> dict[str, Any]:
    """``/services/{id}``: the service with everything related to it."""
    sals = [
        fields(x, SAL_FIELDS)
        | {
            "phones": [phone(p) for p in b.phones.get(x.id, [])],
            "schedules": [schedule(y) for y in b.schedules.get(x.id, [])],
            "location": location(b.locations[x.location_id], b),
        }
        for x in b.sals.get(s.id, [])
    ]
    attributes = [
        {
            "id": str(uuid.uuid5(s.id, str(t.id))),
            "link_id": str(s.id),
            "link_type": "service",
            "link_entity": "service",
            "taxonomy_term_id": str(t.id),
            "taxonomy_term": term(t),
        }
        for t in b.terms.get(s.id, [])
    ]
    return fields(s, SERVICE_FIELDS) | {
        "organization": fields(b.organizations[s.organization_id], ORGANIZATION_FIELDS),
        "phones": [phone(p) for p in b.phones.get(s.id, [])],
        "schedules": [schedule(x) for x in b.schedules.get(s.id, [])],
        "service_at_locations": sals,
        "languages": _languages(s.languages, service_id=s.id),
        "attributes": attributes,
    }


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int


def envelope(total: int, paging: Paging, contents: list[dict[str, Any]]) -> dict[str, Any]:
    pages = math.ceil(total / paging.per_page)
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": paging.page,
        "size": len(contents),
        "first_page": paging.page == 1,
        "last_page": paging.page >= pages,
        "empty": total == 0,
        "contents": contents,
    }


@dataclass(frozen=True)
class ServiceFilters:
    search: str | None = None
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime | None = None
    postcode: str | None = None
    proximity: float | None = None  # metres from the postcode's centroid


class HsdsService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = DirectoryRepository(session)

    def _listed(self, action: str, entity: str, filters: dict[str, Any], count: int) -> None:
        audit.record_list(
            self.session, self.ctx, action, entity_type=entity, filters=filters, count=count
        )

    def _page(
        self, stmt: Any, order: Sequence[Any], paging: Paging, show: Callable[[Any], dict]
    ) -> tuple[int, list[dict[str, Any]]]:
        total = self.repo.count(stmt)
        rows = self.repo.numbered_page(stmt, order, page=paging.page, size=paging.per_page)
        return total, [show(r) for r in rows]

    def services(self, f: ServiceFilters, paging: Paging) -> dict[str, Any]:
        ids = self._near_postcode(f) if f.proximity is not None else None
        stmt = self.repo.filtered(
            q=f.search,
            term_codes=(f.taxonomy_term_id,) if f.taxonomy_term_id else (),
            taxonomy_id=f.taxonomy_id,
            organization_id=f.organization_id,
            modified_after=f.modified_after,
            postcode=f.postcode if f.proximity is None else None,
            ids=ids,
        )
        total, items = self._page(
            stmt, (Service.name, Service.id), paging, lambda s: fields(s, SERVICE_FIELDS)
        )
        self._listed("hsds.services", "service", vars(f) | vars(paging), len(items))
        return envelope(total, paging, items)

    def _near_postcode(self, f: ServiceFilters) -> list[uuid.UUID]:
        if f.postcode is None:
            raise Unprocessable("proximity needs postcode", code="proximity_without_postcode")
        centre = self.repo.postcode_centroid(f.postcode)
        if centre is None:
            return []
        radius_km = (f.proximity or 0) / 1000
        base = self.repo.filtered()
        near = self.repo.located_in(base, geo.box_around(*centre, radius_km))
        return sorted(
            {sid for sid, lat, lon in near if geo.haversine_km(*centre, lat, lon) <= radius_km}
        )

    def service(self, key: uuid.UUID) -> dict[str, Any]:
        row = self.repo.find(key)
        if row is None:
            raise NotFound("No such service", code="service_not_found")
        return service_full(row, self.repo.bundle([row]))

    def organizations(self, search: str | None, paging: Paging) -> dict[str, Any]:
        stmt = self.repo.organizations(search=search)
        order = (Organization.name, Organization.id)
        total, items = self._page(stmt, order, paging, lambda o: fields(o, ORGANIZATION_FIELDS))
        self._listed("hsds.organizations", "organization", {"search": search}, len(items))
        return envelope(total, paging, items)

    def organization(self, key: uuid.UUID) -> dict[str, Any]:
        org = self.repo.organization(key)
        if org is None:
            raise NotFound("No such organization", code="organization_not_found")
        phones = self.repo.organization_phones(key)
        return fields(org, ORGANIZATION_FIELDS) | {"phones": [phone(p) for p in phones]}

    def service_at_locations(
        self, service_id: uuid.UUID | None, location_id: uuid.UUID | None, paging: Paging
    ) -> dict[str, Any]:
        stmt = self.repo.sals_page(service_id=service_id, location_id=location_id)
        order = (ServiceAtLocation.id,)
        total, items = self._page(stmt, order, paging, lambda x: fields(x, SAL_FIELDS))
        filters = {"service_id": service_id, "location_id": location_id}
        self._listed("hsds.service_at_locations", "service_at_location", filters, len(items))
        return envelope(total, paging, items)

    def taxonomies(self, paging: Paging) -> dict[str, Any]:
        stmt = self.repo.taxonomies()
        order = (Taxonomy.name, Taxonomy.id)
        total, items = self._page(stmt, order, paging, lambda t: fields(t, TAXONOMY_FIELDS))
        self._listed("hsds.taxonomies", "taxonomy", {}, len(items))
        return envelope(total, paging, items)

    def taxonomy_terms(
        self, taxonomy_id: uuid.UUID | None, parent_id: uuid.UUID | None, paging: Paging
    ) -> dict[str, Any]:
        stmt = self.repo.terms(taxonomy_id=taxonomy_id, parent_id=parent_id)
        order = (TaxonomyTerm.name, TaxonomyTerm.id)
        total, items = self._page(stmt, order, paging, term)
        filters = {"taxonomy_id": taxonomy_id, "parent_id": parent_id}
        self._listed("hsds.taxonomy_terms", "taxonomy_term", filters, len(items))
        return envelope(total, paging, items)
