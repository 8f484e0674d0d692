"""Our own read of a service (``ServiceRead``) from a page's ``Bundle``."""

from __future__ import annotations

from csoapi.directory.models import Phone, Schedule, Service
from csoapi.directory.repository import Bundle
from csoapi.directory.schemas import (
    AddressRead,
    PhoneRead,
    ScheduleRead,
    ServiceLocationRead,
    ServiceRead,
)
from csoapi.directory.writer import CATEGORY_TAXONOMY_ID


def phone_read(p: Phone) -> PhoneRead:
    return PhoneRead.model_validate(p)


def schedule_read(s: Schedule) -> ScheduleRead:
    return ScheduleRead(
        id=s.id,
        valid_from=s.valid_from,
        valid_to=s.valid_to,
        freq=s.freq,
        interval=s.interval,
        byday=[d for d in (s.byday or "").split(",") if d],
        opens_at=s.opens_at,
        closes_at=s.closes_at,
        description=s.description,
        notes=s.notes,
    )


def service_read(s: Service, b: Bundle, **extra: object) -> ServiceRead:
    locations = []
    for sal in b.sals.get(s.id, []):
        loc = b.locations[sal.location_id]
        own = b.schedules.get(sal.id, []) + b.schedules.get(loc.id, [])
        locations.append(
            ServiceLocationRead(
                id=loc.id,
                service_at_location_id=sal.id,
                location_type=loc.location_type,
                name=loc.name,
                description=loc.description,
                latitude=loc.latitude,
                longitude=loc.longitude,
                addresses=[AddressRead.model_validate(a) for a in b.addresses.get(loc.id, [])],
                phones=[phone_read(p) for p in b.phones.get(loc.id, [])],
                schedules=[schedule_read(x) for x in own],
            )
        )
    terms = b.terms.get(s.id, [])
    return ServiceRead(
        id=s.id,
        organization_id=s.organization_id,
        organization_name=b.organizations[s.organization_id].name,
        name=s.name,
        alternate_name=s.alternate_name,
        description=s.description,
        url=s.url,
        email=s.email,
        status=s.status,
        categories=[t.code or "" for t in terms if t.taxonomy_id == CATEGORY_TAXONOMY_ID],
        interpretation_services=s.interpretation_services,
        application_process=s.application_process,
        fees_description=s.fees_description,
        wait_time=s.wait_time,
        eligibility_description=s.eligibility_description,
        minimum_age=s.minimum_age,
        maximum_age=s.maximum_age,
        assured_date=s.assured_date,
        alert=s.alert,
        languages=s.languages,
        phones=[phone_read(p) for p in b.phones.get(s.id, [])],
        schedules=[schedule_read(x) for x in b.schedules.get(s.id, [])],
        locations=locations,
        source=s.source,
        last_modified=s.last_modified,
        version=s.version,
        **extra,  # type: ignore[arg-type]
    )
