"""The service directory, in Open Referral HSDS 3.0's own tables and field names:
organizations, services, locations (with their addresses), service-at-location, phones,
schedules, taxonomies and their terms, and the link of a service to its terms.

Every row keeps its provenance: ``source`` (``api`` or the imported file), and for
organizations and services HSDS's ``last_modified``; services also ``assured_date``."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, id_field, utc_column

CASCADE = "CASCADE"


class Organization(Versioned, table=True):
    __tablename__ = "organization"
    __table_args__ = (sa.Index("ix_organization_name_id", "name", "id"),)

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200)
    alternate_name: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    email: str | None = Field(default=None, max_length=200)
    website: str | None = Field(default=None, max_length=500)
    tax_status: str | None = Field(default=None, max_length=100)
    tax_id: str | None = Field(default=None, max_length=100)
    year_incorporated: int | None = None
    legal_status: str | None = Field(default=None, max_length=100)
    logo: str | None = Field(default=None, max_length=500)
    uri: str | None = Field(default=None, max_length=500)
    parent_organization_id: uuid.UUID | None = None
    source: str = Field(default="api", max_length=200)
    last_modified: datetime = utc_column(index=True)


class Service(Versioned, table=True):
    __tablename__ = "service"
    __table_args__ = (
        sa.Index("ix_service_name_id", "name", "id"),
        sa.Index("ix_service_last_modified_id", "last_modified", "id"),
        sa.CheckConstraint(
            "minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age",
            name="age_range",
        ),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=200)
    alternate_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    url: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=24)
    interpretation_services: str | None = Field(default=None, sa_type=sa.Text)
    application_process: str | None = Field(default=None, sa_type=sa.Text)
    fees_description: str | None = Field(default=None, sa_type=sa.Text)
    wait_time: str | None = Field(default=None, max_length=500)
    accreditations: str | None = Field(default=None, sa_type=sa.Text)
    eligibility_description: str | None = Field(default=None, sa_type=sa.Text)
    minimum_age: int | None = None
    maximum_age: int | None = None
    assured_date: date | None = None
    assurer_email: str | None = Field(default=None, max_length=200)
    alert: str | None = Field(default=None, sa_type=sa.Text)
    # HSDS language rows ({id, name, code, note}): read with the service, never filtered on.
    languages: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    source: str = Field(default="api", max_length=200)
    last_modified: datetime = utc_column()


class Location(Versioned, table=True):
    __tablename__ = "location"
    __table_args__ = (sa.Index("ix_location_latitude_longitude", "latitude", "longitude"),)

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    location_type: str = Field(default="physical", max_length=16)
    name: str | None = Field(default=None, max_length=200)
    alternate_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    transportation: str | None = Field(default=None, sa_type=sa.Text)
    url: str | None = Field(default=None, max_length=500)
    latitude: float | None = None
    longitude: float | None = None
    external_identifier: str | None = Field(default=None, max_length=100)
    external_identifier_type: str | None = Field(default=None, max_length=100)
    languages: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    source: str = Field(default="api", max_length=200)


class Address(SQLModel, table=True):
    __tablename__ = "address"

    id: uuid.UUID = id_field()
    location_id: uuid.UUID = Field(foreign_key="location.id", ondelete=CASCADE, index=True)
    attention: str | None = Field(default=None, max_length=200)
    address_1: str = Field(max_length=200)
    address_2: str | None = Field(default=None, max_length=200)
    city: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=100)
    state_province: str = Field(max_length=100)
    postal_code: str = Field(max_length=20, index=True)
    country: str = Field(max_length=2)
    address_type: str = Field(default="physical", max_length=16)


class ServiceAtLocation(SQLModel, table=True):
    __tablename__ = "service_at_location"
    __table_args__ = (sa.UniqueConstraint("service_id", "location_id"),)

    id: uuid.UUID = id_field()
    service_id: uuid.UUID = Field(foreign_key="service.id", ondelete=CASCADE)
    location_id: uuid.UUID = Field(foreign_key="location.id", ondelete=CASCADE, index=True)
    description: str | None = Field(default=None, sa_type=sa.Text)
    source: str = Field(default="api", max_length=200)


class Phone(SQLModel, table=True):
    """A phone of exactly one of: an organization, a service, a location, a
    service-at-location."""

    __tablename__ = "phone"

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", ondelete=CASCADE, index=True
    )
    service_id: uuid.UUID | None = Field(
        default=None, foreign_key="service.id", ondelete=CASCADE, index=True
    )
    location_id: uuid.UUID | None = Field(
        default=None, foreign_key="location.id", ondelete=CASCADE, index=True
    )
    service_at_location_id: uuid.UUID | None = Field(
        default=None, foreign_key="service_at_location.id", ondelete=CASCADE, index=True
    )
    number: str = Field(max_length=50)
    extension: int | None = None
    type: str | None = Field(default=None, max_length=16)
    description: str | None = Field(default=None, sa_type=sa.Text)
    languages: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)


class Schedule(SQLModel, table=True):
    """When a service (or a location, or a service at a location) is open: HSDS's RRULE
    fields. ``byday`` holds two-letter days (``MO,TU``); ``opens_at``/``closes_at`` are wall
    times in the agency's time zone."""

    __tablename__ = "schedule"

    id: uuid.UUID = id_field()
    service_id: uuid.UUID | None = Field(
        default=None, foreign_key="service.id", ondelete=CASCADE, index=True
    )
    location_id: uuid.UUID | None = Field(
        default=None, foreign_key="location.id", ondelete=CASCADE, index=True
    )
    service_at_location_id: uuid.UUID | None = Field(
        default=None, foreign_key="service_at_location.id", ondelete=CASCADE, index=True
    )
    valid_from: date | None = None
    valid_to: date | None = None
    dtstart: date | None = None
    until: date | None = None
    freq: str | None = Field(default=None, max_length=8)
    interval: int | None = None
    byday: str | None = Field(default=None, max_length=40)
    bymonthday: str | None = Field(default=None, max_length=100)
    opens_at: time | None = None
    closes_at: time | None = None
    description: str | None = Field(default=None, sa_type=sa.Text)
    schedule_link: str | None = Field(default=None, max_length=500)
    attending_type: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, sa_type=sa.Text)


class Taxonomy(SQLModel, table=True):
    __tablename__ = "taxonomy"

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    uri: str | None = Field(default=None, max_length=500)
    version: str | None = Field(default=None, max_length=50)


class TaxonomyTerm(SQLModel, table=True):
    __tablename__ = "taxonomy_term"
    __table_args__ = (sa.Index("ix_taxonomy_term_taxonomy_id_code", "taxonomy_id", "code"),)

    id: uuid.UUID = id_field()
    code: str | None = Field(default=None, max_length=100)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    parent_id: uuid.UUID | None = None
    taxonomy: str | None = Field(default=None, max_length=200)
    taxonomy_id: uuid.UUID | None = Field(default=None, foreign_key="taxonomy.id")
    language: str | None = Field(default=None, max_length=16)
    term_uri: str | None = Field(default=None, max_length=500)


class ServiceTerm(SQLModel, table=True):
    """A service classified by a taxonomy term (HSDS's ``attribute`` linking a service)."""

    __tablename__ = "service_term"
    __table_args__ = (sa.UniqueConstraint("service_id", "taxonomy_term_id"),)

    id: uuid.UUID = id_field()
    service_id: uuid.UUID = Field(foreign_key="service.id", ondelete=CASCADE)
    taxonomy_term_id: uuid.UUID = Field(foreign_key="taxonomy_term.id", index=True)
    value: str | None = Field(default=None, max_length=200)
