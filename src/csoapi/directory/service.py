"""The service directory's rules: admin writes (HSDS field names, a service with its
locations inline) and the CSO's search (category, text, open at a moment on the agency's
clock, nearest first)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Changes, Entity
from csoapi.directory import search as finder
from csoapi.directory.models import Organization, Service
from csoapi.directory.repository import DirectoryRepository
from csoapi.directory.schemas import (
    Category,
    OrganizationCreate,
    OrganizationUpdate,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
)
from csoapi.directory.views import service_read
from csoapi.directory.writer import CATEGORY_TAXONOMY_ID, Writer

ORGANIZATION: Entity[Organization] = Entity("organization")
SERVICE: Entity[Service] = Entity("service")
_CHILDREN = {"categories", "taxonomy_term_ids", "languages", "phones", "schedules", "locations"}


class DirectoryService:
    def __init__(self, session: Session, ctx: RequestContext, *, source: str = "api") -> None:
        self.session = session
        self.ctx = ctx
        self.repo = DirectoryRepository(session)
        self.writer = Writer(self.repo, source)
        self.source = source
        self.organizations = Changes(
            session, ctx, ORGANIZATION, lock=lambda k: self.organization(k, for_update=True)
        )
        self.services = Changes(
            session, ctx, SERVICE, lock=lambda k: self.repo.get_or_404(k, for_update=True)
        )

    # -- organizations ----------------------------------------------------------------------
    def organization(self, key: uuid.UUID, *, for_update: bool = False) -> Organization:
        row = self.repo.organization(key, for_update=for_update)
        if row is None:
            raise NotFound("No such organization", code="organization_not_found")
        return row

    def create_organization(
        self, data: OrganizationCreate, *, last_modified: datetime | None = None
    ) -> Organization:
        if data.id is not None and self.repo.organization(data.id) is not None:
            raise Conflict("An organization with this id exists", code="organization_exists")
        row = Organization(
            **data.model_dump(exclude={"id", "phones"}),
            id=data.id or uuid.uuid4(),
            source=self.source,
            last_modified=last_modified or utcnow(),
        )
        self.repo.add(row)
        self.writer.phones(data.phones, organization_id=row.id)
        self.repo.flush()
        audit.record(
            self.session,
            self.ctx,
            "organization.create",
            entity_type="organization",
            entity_id=row.id,
            detail={"source": self.source},
        )
        return row

    def update_organization(
        self,
        key: uuid.UUID,
        data: OrganizationUpdate,
        if_match: str | None,
        *,
        last_modified: datetime | None = None,
    ) -> Organization:
        change = self.organizations.begin(key, if_match, required=self.source == "api")
        fields = data.model_dump(exclude_unset=True)
        _named(fields)
        if "description" in fields and fields["description"] is None:
            raise Unprocessable(
                "An organization's description cannot be null", code="description_required"
            )
        for name, value in fields.items():
            setattr(change.row, name, value)
        change.row.last_modified = last_modified or utcnow()
        change.row.source = self.source
        return change.done("organization.update", detail={"fields": sorted(fields)})

    # -- services ---------------------------------------------------------------------------
    def create_service(
        self, data: ServiceCreate, *, last_modified: datetime | None = None
    ) -> Service:
        self.organization(data.organization_id)
        if data.id is not None and self.repo.find(data.id) is not None:
            raise Conflict("A service with this id exists", code="service_exists")
        fields = data.model_dump(exclude={"id", "status", *_CHILDREN})
        row = Service(
            **fields,
            id=data.id or uuid.uuid4(),
            status=data.status.value,
            source=self.source,
            last_modified=last_modified or utcnow(),
        )
        row.languages = [lang.model_dump() | {"id": str(uuid.uuid4())} for lang in data.languages]
        self.repo.add(row)
        self._children(row, data)
        audit.record(
            self.session,
            self.ctx,
            "service.create",
            entity_type="service",
            entity_id=row.id,
            detail={"organization_id": str(row.organization_id), "source": self.source},
        )
        return row

    def _children(self, row: Service, data: ServiceCreate | ServiceUpdate) -> None:
        w = self.writer
        w.terms(row.id, list(data.categories or []), list(data.taxonomy_term_ids or []))
        w.phones(data.phones or [], service_id=row.id)
        w.schedules(data.schedules or [], service_id=row.id)
        w.locations(row.id, row.organization_id, data.locations or [])
        self.repo.flush()

    def update_service(
        self,
        key: uuid.UUID,
        data: ServiceUpdate,
        if_match: str | None,
        *,
        last_modified: datetime | None = None,
    ) -> Service:
        change = self.services.begin(key, if_match, required=self.source == "api")
        row = change.row
        given = data.model_dump(exclude_unset=True)
        if "status" in given and data.status is None:
            raise Unprocessable("status cannot be null", code="status_required")
        _named(given)
        for name in given.keys() - _CHILDREN:
            value = getattr(data, name)
            setattr(row, name, value.value if name == "status" else value)
        low, high = row.minimum_age, row.maximum_age
        if low is not None and high is not None and low > high:
            raise Unprocessable("minimum_age is above maximum_age", code="age_range")
        if data.languages is not None:
            row.languages = [x.model_dump() | {"id": str(uuid.uuid4())} for x in data.languages]
        self._replace(row, data, set(given))
        row.last_modified = last_modified or utcnow()
        row.source = self.source
        return change.done("service.update", detail={"fields": sorted(given)})

    def _replace(self, row: Service, data: ServiceUpdate, given: set[str]) -> None:
        """The parts given are replaced; the parts not given are kept."""
        if "categories" in given or "taxonomy_term_ids" in given:
            current = self.repo.terms_of(row.id)
            categories = (
                list(data.categories or [])
                if "categories" in given
                else [Category(t.code) for t in current if t.taxonomy_id == CATEGORY_TAXONOMY_ID]
            )
            others = (
                list(data.taxonomy_term_ids or [])
                if "taxonomy_term_ids" in given
                else [t.id for t in current if t.taxonomy_id != CATEGORY_TAXONOMY_ID]
            )
            self.writer.terms(row.id, categories, others)
        parts = {p for p in ("phones", "schedules", "locations") if p in given}
        self.repo.delete_parts(row.id, parts)
        if "phones" in parts:
            self.writer.phones(data.phones or [], service_id=row.id)
        if "schedules" in parts:
            self.writer.schedules(data.schedules or [], service_id=row.id)
        if "locations" in parts:
            self.writer.locations(row.id, row.organization_id, data.locations or [])
        self.repo.flush()

    def read(self, row: Service) -> ServiceRead:
        return service_read(row, self.repo.bundle([row]))

    def get(self, key: uuid.UUID) -> ServiceRead:
        return self.read(self.repo.get_or_404(key))

    def search(
        self, query: finder.Query, *, limit: int, cursor: str | None
    ) -> tuple[list[ServiceRead], str | None]:
        items, nxt = finder.search(
            self.repo, self.ctx.settings.tz, query, limit=limit, cursor=cursor
        )
        filters = {
            "category": [c.value for c in query.categories] or None,
            "q": query.q,
            "open_at": query.open_at,
            "near": query.near,
            "radius_km": query.radius_km,
            "limit": limit,
            "cursor": cursor,
        }
        audit.record_list(
            self.session,
            self.ctx,
            "service.search",
            entity_type="service",
            filters=filters,
            count=len(items),
        )
        return items, nxt


def _named(given: dict[str, object]) -> None:
    """A record of the directory always has its name: a change cannot set it to null (422,
    never the database's refusal)."""
    if "name" in given and given["name"] is None:
        raise Unprocessable("name cannot be null", code="name_required")
