"""A service's parts as rows: phones, schedules, locations and their addresses, the
service-at-location links, and the contract's categories as terms of one HSDS taxonomy."""

from __future__ import annotations

import uuid
from typing import Any

from csoapi.core.errors import Unprocessable
from csoapi.directory.models import (
    Address,
    Location,
    Phone,
    Schedule,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from csoapi.directory.repository import DirectoryRepository
from csoapi.directory.schemas import Category, LanguageIn, LocationIn, PhoneIn, ScheduleIn

CATEGORY_TAXONOMY_ID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:csoapi:taxonomy:service-category")
CATEGORY_TAXONOMY_NAME = "csoapi service categories"


def category_term_id(category: Category | str) -> uuid.UUID:
    return uuid.uuid5(CATEGORY_TAXONOMY_ID, str(category))


def languages(items: list[LanguageIn]) -> list[dict[str, Any]]:
    return [{"id": str(uuid.uuid4()), **i.model_dump()} for i in items]


class Writer:
    def __init__(self, repo: DirectoryRepository, source: str) -> None:
        self.repo = repo
        self.source = source

    def phones(self, items: list[PhoneIn], **owner: uuid.UUID) -> None:
        for p in items:
            data = p.model_dump(exclude={"languages"})
            self.repo.add(Phone(**data, **owner, languages=languages(p.languages)), flush=False)

    def schedules(self, items: list[ScheduleIn], **owner: uuid.UUID) -> None:
        for s in items:
            data = s.model_dump(exclude={"byday"})
            byday = ",".join(d.value for d in s.byday) or None
            self.repo.add(Schedule(**data, byday=byday, **owner), flush=False)

    def locations(
        self, service_id: uuid.UUID, organization_id: uuid.UUID, items: list[LocationIn]
    ) -> None:
        for item in items:
            location = self._location(organization_id, item)
            sal = ServiceAtLocation(
                id=item.service_at_location_id or uuid.uuid4(),
                service_id=service_id,
                location_id=location.id,
                source=self.source,
            )
            self.repo.add(sal, flush=False)

    def _location(self, organization_id: uuid.UUID, item: LocationIn) -> Location:
        fields = item.model_dump(
            exclude={
                "id",
                "service_at_location_id",
                "addresses",
                "phones",
                "schedules",
                "languages",
            }
        )
        location = self.repo.row(Location, item.id) if item.id else None
        if location is None:
            location = Location(id=item.id or uuid.uuid4(), organization_id=organization_id)
            self.repo.add(location, flush=False)
        else:
            location.touch()
            self.repo.replace_location_children(location.id)
        for key, value in fields.items():
            setattr(location, key, value)
        location.languages = languages(item.languages)
        location.source = self.source
        self.repo.flush()
        for a in item.addresses:
            self.repo.add(Address(location_id=location.id, **a.model_dump()), flush=False)
        self.phones(item.phones, location_id=location.id)
        self.schedules(item.schedules, location_id=location.id)
        return location

    def terms(
        self, service_id: uuid.UUID, categories: list[Category], other: list[uuid.UUID]
    ) -> None:
        if categories:
            self._category_taxonomy()
        ids = [self._category_term(c) for c in categories]
        known = self.repo.existing_ids(TaxonomyTerm, other)
        unknown = [str(t) for t in other if t not in known]
        if unknown:
            raise Unprocessable(
                f"No such taxonomy term: {', '.join(unknown[:5])}", code="taxonomy_term_not_found"
            )
        self.repo.flush()
        self.repo.replace_service_terms(service_id, [*ids, *other])

    def _category_taxonomy(self) -> None:
        if self.repo.taxonomy(CATEGORY_TAXONOMY_ID) is None:
            self.repo.add(
                Taxonomy(
                    id=CATEGORY_TAXONOMY_ID,
                    name=CATEGORY_TAXONOMY_NAME,
                    description="The service categories of the csoapi contract (section 8)",
                    uri="urn:csoapi:taxonomy:service-category",
                    version="1",
                )
            )

    def _category_term(self, category: Category) -> uuid.UUID:
        term_id = category_term_id(category)
        if self.repo.row(TaxonomyTerm, term_id) is None:
            self.repo.add(
                TaxonomyTerm(
                    id=term_id,
                    code=category.value,
                    name=category.value.replace("_", " ").capitalize(),
                    description=f"Services for {category.value.replace('_', ' ')}",
                    taxonomy=CATEGORY_TAXONOMY_NAME,
                    taxonomy_id=CATEGORY_TAXONOMY_ID,
                    language="en",
                )
            )
        return term_id
