"""Every query of the service directory."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.directory.models import (
    Address,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceTerm,
    Taxonomy,
    TaxonomyTerm,
)

SERVICE_KEYS = (
    SortKey(Service.name, "str", lambda s: s.name),
    SortKey(Service.id, "uuid", lambda s: s.id),
)
ORGANIZATION_KEYS = (
    SortKey(Organization.name, "str", lambda o: o.name),
    SortKey(Organization.id, "uuid", lambda o: o.id),
)


@dataclass(frozen=True, slots=True)
class LocalMoment:
    """A moment as the agency's wall clock shows it, and the day before's weekday (for
    openings that run past midnight)."""

    day: date
    weekday: str
    yesterday: str
    at: time


@dataclass(frozen=True, slots=True)
class Box:
    south: float
    north: float
    west: float
    east: float


@dataclass
class Bundle:
    """A page of services with everything they show, read in one query per table."""

    organizations: dict[uuid.UUID, Organization]
    terms: dict[uuid.UUID, list[TaxonomyTerm]]
    phones: dict[uuid.UUID, list[Phone]]  # by owner id (service, location or SAL)
    schedules: dict[uuid.UUID, list[Schedule]]  # by owner id
    sals: dict[uuid.UUID, list[ServiceAtLocation]]  # by service id
    locations: dict[uuid.UUID, Location]
    addresses: dict[uuid.UUID, list[Address]]  # by location id


def _sal_of_service() -> Any:
    return (
        sa.select(ServiceAtLocation.id)
        .where(ServiceAtLocation.service_id == Service.id)
        .correlate(Service)
    )


def _location_of_service() -> Any:
    return (
        sa.select(ServiceAtLocation.location_id)
        .where(ServiceAtLocation.service_id == Service.id)
        .correlate(Service)
    )


def _open_condition(m: LocalMoment) -> Any:
    """A schedule row open at ``m``: on its day, from opens_at until closes_at, or (an
    opening past midnight) since yesterday's opens_at; within its validity dates."""
    same_day = Schedule.opens_at <= Schedule.closes_at
    today = sa.or_(
        Schedule.byday.is_(None), Schedule.byday == "", Schedule.byday.contains(m.weekday)
    )
    yesterday = sa.or_(
        Schedule.byday.is_(None), Schedule.byday == "", Schedule.byday.contains(m.yesterday)
    )
    return sa.and_(
        Schedule.opens_at.is_not(None),
        sa.or_(Schedule.valid_from.is_(None), Schedule.valid_from <= m.day),
        sa.or_(Schedule.valid_to.is_(None), Schedule.valid_to >= m.day),
        sa.or_(
            sa.and_(today, same_day, Schedule.opens_at <= m.at, m.at < Schedule.closes_at),
            sa.and_(today, sa.not_(same_day), Schedule.opens_at <= m.at),
            sa.and_(yesterday, sa.not_(same_day), m.at < Schedule.closes_at),
        ),
    )


def _text_matches(q: str) -> Any:
    needle = q.lower()
    return sa.or_(
        sa.func.lower(Service.name).contains(needle, autoescape=True),
        sa.func.lower(Service.alternate_name).contains(needle, autoescape=True),
        sa.func.lower(Service.description).contains(needle, autoescape=True),
    )


def _open_at(m: LocalMoment) -> Any:
    """The service, one of its service-at-locations or one of its locations has a schedule
    open at ``m``."""
    return sa.exists().where(
        sa.or_(
            Schedule.service_id == Service.id,
            Schedule.service_at_location_id.in_(_sal_of_service()),
            Schedule.location_id.in_(_location_of_service()),
        ),
        _open_condition(m),
    )


class DirectoryRepository(Repository[Service]):
    model = Service
    missing = ("No such service", "service_not_found")
    keys = SERVICE_KEYS
    tag = "services"

    # -- rows by key ------------------------------------------------------------------------
    def organization(self, key: uuid.UUID, *, for_update: bool = False) -> Organization | None:
        stmt = sa.select(Organization).where(Organization.id == key)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def row(self, model: type[Any], key: uuid.UUID) -> Any:
        return self.session.get(model, key)

    def existing_ids(self, model: type[Any], ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        ids = list(ids)
        if not ids:
            return set()
        return set(self.session.scalars(sa.select(model.id).where(model.id.in_(ids))))

    # -- children ---------------------------------------------------------------------------
    def delete_parts(self, service_id: uuid.UUID, parts: set[str]) -> None:
        """A service's ``phones``, ``schedules`` or ``locations`` (its service-at-location
        links, with their phones and schedules), for a write that replaces them. Locations
        themselves stay: other services may be at them."""
        if "phones" in parts:
            self.session.execute(sa.delete(Phone).where(Phone.service_id == service_id))
        if "schedules" in parts:
            self.session.execute(sa.delete(Schedule).where(Schedule.service_id == service_id))
        if "locations" in parts:
            sal_ids = sa.select(ServiceAtLocation.id).where(
                ServiceAtLocation.service_id == service_id
            )
            self.session.execute(sa.delete(Phone).where(Phone.service_at_location_id.in_(sal_ids)))
            self.session.execute(
                sa.delete(Schedule).where(Schedule.service_at_location_id.in_(sal_ids))
            )
            self.session.execute(
                sa.delete(ServiceAtLocation).where(ServiceAtLocation.service_id == service_id)
            )

    def terms_of(self, service_id: uuid.UUID) -> list[TaxonomyTerm]:
        return self._terms_of([service_id]).get(service_id, [])

    def replace_service_terms(self, service_id: uuid.UUID, term_ids: Sequence[uuid.UUID]) -> None:
        self.session.execute(sa.delete(ServiceTerm).where(ServiceTerm.service_id == service_id))
        for term_id in dict.fromkeys(term_ids):
            self.session.add(ServiceTerm(service_id=service_id, taxonomy_term_id=term_id))

    def replace_location_children(self, location_id: uuid.UUID) -> None:
        self.session.execute(sa.delete(Address).where(Address.location_id == location_id))
        self.session.execute(sa.delete(Phone).where(Phone.location_id == location_id))
        self.session.execute(sa.delete(Schedule).where(Schedule.location_id == location_id))

    def bundle(self, services: Sequence[Service]) -> Bundle:
        ids = [s.id for s in services]
        org_ids = {s.organization_id for s in services}
        sals = list(
            self.session.scalars(
                sa.select(ServiceAtLocation)
                .where(ServiceAtLocation.service_id.in_(ids))
                .order_by(ServiceAtLocation.id)
            )
        )
        sal_ids = [x.id for x in sals]
        loc_ids = list({x.location_id for x in sals})
        owners = [*ids, *sal_ids, *loc_ids]
        by_service: dict[uuid.UUID, list[ServiceAtLocation]] = defaultdict(list)
        for x in sals:
            by_service[x.service_id].append(x)
        return Bundle(
            organizations=self._by_id(Organization, org_ids),
            terms=self._terms_of(ids),
            phones=self._owned(Phone, owners),
            schedules=self._owned(Schedule, owners),
            sals=by_service,
            locations=self._by_id(Location, loc_ids),
            addresses=self._grouped(Address, Address.location_id, loc_ids),
        )

    def _by_id(self, model: type[Any], ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
        ids = list(ids)
        if not ids:
            return {}
        return {r.id: r for r in self.session.scalars(sa.select(model).where(model.id.in_(ids)))}

    def _grouped(self, model: type[Any], column: Any, ids: Sequence[uuid.UUID]) -> dict:
        out: dict[uuid.UUID, list[Any]] = defaultdict(list)
        if ids:
            for r in self.session.scalars(
                sa.select(model).where(column.in_(ids)).order_by(model.id)
            ):
                out[getattr(r, column.key)].append(r)
        return out

    def _owned(self, model: type[Phone] | type[Schedule], owners: Sequence[uuid.UUID]) -> dict:
        out: dict[uuid.UUID, list[Any]] = defaultdict(list)
        if not owners:
            return out
        cols = [model.service_id, model.location_id, model.service_at_location_id]
        stmt = sa.select(model).where(sa.or_(*[c.in_(owners) for c in cols])).order_by(model.id)
        for r in self.session.scalars(stmt):
            owner = r.service_id or r.service_at_location_id or r.location_id
            out[owner].append(r)
        return out

    def _terms_of(self, service_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TaxonomyTerm]]:
        out: dict[uuid.UUID, list[TaxonomyTerm]] = defaultdict(list)
        if not service_ids:
            return out
        stmt = (
            sa.select(ServiceTerm.service_id, TaxonomyTerm)
            .join(TaxonomyTerm, TaxonomyTerm.id == ServiceTerm.taxonomy_term_id)
            .where(ServiceTerm.service_id.in_(service_ids))
            .order_by(TaxonomyTerm.code, TaxonomyTerm.id)
        )
        for service_id, term in self.session.execute(stmt):
            out[service_id].append(term)
        return out

    # -- the CSO's search -------------------------------------------------------------------
    def filtered(
        self,
        *,
        status: str | None = None,
        term_codes: tuple[uuid.UUID, ...] = (),
        q: str | None = None,
        open_at: LocalMoment | None = None,
        organization_id: uuid.UUID | None = None,
        taxonomy_id: uuid.UUID | None = None,
        modified_after: datetime | None = None,
        postcode: str | None = None,
        ids: Sequence[uuid.UUID] | None = None,
    ) -> sa.Select[Any]:
        """Services matching every filter given (AND)."""
        stmt = sa.select(Service)
        if status is not None:
            stmt = stmt.where(Service.status == status)
        for term_id in term_codes:
            stmt = stmt.where(
                sa.exists().where(
                    ServiceTerm.service_id == Service.id, ServiceTerm.taxonomy_term_id == term_id
                )
            )
        if taxonomy_id is not None:
            stmt = stmt.where(
                sa.exists()
                .where(ServiceTerm.service_id == Service.id)
                .where(TaxonomyTerm.id == ServiceTerm.taxonomy_term_id)
                .where(TaxonomyTerm.taxonomy_id == taxonomy_id)
            )
        if q:
            stmt = stmt.where(_text_matches(q))
        if organization_id is not None:
            stmt = stmt.where(Service.organization_id == organization_id)
        if modified_after is not None:
            stmt = stmt.where(Service.last_modified >= modified_after)
        if postcode is not None:
            stmt = stmt.where(
                sa.exists().where(
                    Address.location_id.in_(_location_of_service()),
                    Address.postal_code == postcode,
                )
            )
        if open_at is not None:
            stmt = stmt.where(_open_at(open_at))
        if ids is not None:
            stmt = stmt.where(Service.id.in_(list(ids)))
        return stmt

    def located_in(self, stmt: sa.Select[Any], box: Box) -> list[tuple[uuid.UUID, float, float]]:
        """(service id, latitude, longitude) of each location in ``box`` of a service ``stmt``
        selects: from the locations in the box (the coordinates' index) to their services,
        so the service filters run only for those."""
        located = (
            stmt.with_only_columns(Service.id, Location.latitude, Location.longitude)
            .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(Location.latitude.between(box.south, box.north))
            .where(Location.longitude.between(box.west, box.east))
        )
        return [(r[0], r[1], r[2]) for r in self.session.execute(located)]

    def services(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Service]:
        return self._by_id(Service, ids)

    # -- HSDS pages -------------------------------------------------------------------------
    def count(self, stmt: sa.Select[Any]) -> int:
        sub = stmt.order_by(None).subquery()
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(sub)) or 0)

    def numbered_page(
        self, stmt: sa.Select[Any], order: Sequence[Any], *, page: int, size: int
    ) -> list[Any]:
        rows = self.session.scalars(stmt.order_by(*order).offset((page - 1) * size).limit(size))
        return list(rows)

    def postcode_centroid(self, postcode: str) -> tuple[float, float] | None:
        row = self.session.execute(
            sa.select(sa.func.avg(Location.latitude), sa.func.avg(Location.longitude))
            .join(Address, Address.location_id == Location.id)
            .where(Address.postal_code == postcode, Location.latitude.is_not(None))
        ).one()
        return None if row[0] is None else (float(row[0]), float(row[1]))

    def taxonomy(self, key: uuid.UUID) -> Taxonomy | None:
        return self.session.get(Taxonomy, key)

    def term_by_code(self, taxonomy_id: uuid.UUID, code: str) -> TaxonomyTerm | None:
        return self.session.scalars(
            sa.select(TaxonomyTerm).where(
                TaxonomyTerm.taxonomy_id == taxonomy_id, TaxonomyTerm.code == code
            )
        ).first()

    def sals_page(
        self, *, service_id: uuid.UUID | None, location_id: uuid.UUID | None
    ) -> sa.Select[Any]:
        stmt = sa.select(ServiceAtLocation)
        if service_id is not None:
            stmt = stmt.where(ServiceAtLocation.service_id == service_id)
        if location_id is not None:
            stmt = stmt.where(ServiceAtLocation.location_id == location_id)
        return stmt

    def organizations(self, *, search: str | None) -> sa.Select[Any]:
        stmt = sa.select(Organization)
        if search:
            needle = search.lower()
            stmt = stmt.where(
                sa.or_(
                    sa.func.lower(Organization.name).contains(needle, autoescape=True),
                    sa.func.lower(Organization.description).contains(needle, autoescape=True),
                )
            )
        return stmt

    def terms(self, *, taxonomy_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> Any:
        stmt = sa.select(TaxonomyTerm)
        if taxonomy_id is not None:
            stmt = stmt.where(TaxonomyTerm.taxonomy_id == taxonomy_id)
        if parent_id is not None:
            stmt = stmt.where(TaxonomyTerm.parent_id == parent_id)
        return stmt

    def taxonomies(self) -> sa.Select[Any]:
        return sa.select(Taxonomy)

    def organization_phones(self, organization_id: uuid.UUID) -> list[Phone]:
        stmt = sa.select(Phone).where(Phone.organization_id == organization_id).order_by(Phone.id)
        return list(self.session.scalars(stmt))
