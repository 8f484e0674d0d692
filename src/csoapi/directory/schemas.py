"""The directory's inputs (HSDS 3.0 field names) and our own reads of it. The HSDS
publication itself is ``hsds.py``."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, WithJsonSchema, model_validator

from csoapi.core.schemas import AsString, Day, Input, Name, Output, ShortText, Text, Token, Words
from csoapi.core.values import Email

Url = Token(r"^https?://[!-~]+$", min_length=8, max_length=500)  # printable ASCII
Age = Annotated[int, Field(ge=0, le=130)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class Category(StrEnum):
    """The contract's service categories (section 8), published as one HSDS taxonomy."""

    housing = "housing"
    food = "food"
    shelter = "shelter"
    mental_health = "mental_health"
    substance_use = "substance_use"
    youth = "youth"
    elder = "elder"
    legal = "legal"
    transportation = "transportation"
    medical = "medical"
    domestic_violence = "domestic_violence"


class ServiceStatus(StrEnum):
    active = "active"
    inactive = "inactive"
    defunct = "defunct"
    temporarily_closed = "temporarily closed"


class LocationType(StrEnum):
    physical = "physical"
    postal = "postal"
    virtual = "virtual"


class Weekday(StrEnum):
    MO = "MO"
    TU = "TU"
    WE = "WE"
    TH = "TH"
    FR = "FR"
    SA = "SA"
    SU = "SU"


OptionalId = Annotated[uuid.UUID, AsString] | None


class LanguageIn(Input):
    name: Name | None = None
    code: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)]
    note: ShortText | None = None


class PhoneIn(Input):
    number: Token(r'^[0-9+()".\-]([0-9+() ".\-]*[0-9+()".\-])?$', min_length=3, max_length=50)
    extension: Annotated[int, Field(ge=0, le=99_999_999)] | None = None
    type: Annotated[str, Field(pattern=r"^(text|voice|fax|cell|video|pager|textphone)$")] | None = (
        None
    )
    description: ShortText | None = None
    languages: list[LanguageIn] = Field(default_factory=list, max_length=20)


WALL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _wall_time(value: Any) -> Any:
    """A time of day on the agency's clock, ``HH:MM[:SS]``: no offset (the agency's time
    zone is the one), no number."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(WALL_TIME, value):
        raise ValueError("must be a time of day, HH:MM or HH:MM:SS, on the agency's clock")
    return value


WallTime = Annotated[
    time,
    AsString,
    BeforeValidator(_wall_time),
    WithJsonSchema({"type": "string", "pattern": WALL_TIME}),
]


class ScheduleIn(Input):
    """A weekly opening (``freq`` WEEKLY, ``byday``, ``opens_at``–``closes_at`` in the
    agency's time zone), valid between optional dates."""

    valid_from: Day | None = None
    valid_to: Day | None = None
    freq: Annotated[str, Field(pattern=r"^(WEEKLY|MONTHLY)$")] | None = "WEEKLY"
    interval: Annotated[int, Field(ge=1, le=52)] | None = None
    byday: list[Annotated[Weekday, AsString]] = Field(default_factory=list, max_length=7)
    opens_at: WallTime | None = None
    closes_at: WallTime | None = None
    description: ShortText | None = None
    notes: ShortText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleIn:
        if (self.opens_at is None) != (self.closes_at is None):
            raise ValueError("opens_at and closes_at go together")
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from is after valid_to")
        return self


class AddressIn(Input):
    attention: Name | None = None
    address_1: Name
    address_2: Name | None = None
    city: Words(100)
    region: Words(100) | None = None
    state_province: Words(100)
    postal_code: Words(20)
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    address_type: Annotated[str, Field(pattern=r"^(physical|postal|virtual)$")] = "physical"


class LocationIn(Input):
    """A location of the service. With an ``id`` that exists, the service is placed at that
    location (its fields replaced by these): several services share one location."""

    id: OptionalId = None
    service_at_location_id: OptionalId = None
    location_type: Annotated[LocationType, AsString] = LocationType.physical
    name: Name | None = None
    alternate_name: Name | None = None
    description: Text | None = None
    transportation: Text | None = None
    url: Url | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    languages: list[LanguageIn] = Field(default_factory=list, max_length=20)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=5)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    schedules: list[ScheduleIn] = Field(default_factory=list, max_length=14)

    @model_validator(mode="after")
    def _both_coordinates(self) -> LocationIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class OrganizationFields(Input):
    alternate_name: Name | None = None
    email: Email | None = None
    website: Url | None = None
    tax_status: Words(100) | None = None
    tax_id: Words(100) | None = None
    year_incorporated: Annotated[int, Field(ge=1600, le=2200)] | None = None
    legal_status: Words(100) | None = None
    logo: Url | None = None
    uri: Url | None = None
    parent_organization_id: Annotated[uuid.UUID, AsString] | None = None


class OrganizationCreate(OrganizationFields):
    id: OptionalId = Field(default=None, description="An HSDS publisher's own id (uuid)")
    name: Name
    description: Text
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)


class OrganizationUpdate(OrganizationFields):
    name: Name | None = None
    description: Text | None = None


class ServiceFields(Input):
    alternate_name: Name | None = None
    description: Text | None = None
    url: Url | None = None
    email: Email | None = None
    interpretation_services: Text | None = None
    application_process: Text | None = None
    fees_description: Text | None = None
    wait_time: ShortText | None = None
    accreditations: Text | None = None
    eligibility_description: Text | None = None
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    assured_date: Day | None = None
    assurer_email: Email | None = None
    alert: Text | None = None

    @model_validator(mode="after")
    def _age_range(self) -> ServiceFields:
        low, high = self.minimum_age, self.maximum_age
        if low is not None and high is not None and low > high:
            raise ValueError("minimum_age is above maximum_age")
        return self


class ServiceCreate(ServiceFields):
    id: OptionalId = Field(default=None, description="An HSDS publisher's own id (uuid)")
    organization_id: Annotated[uuid.UUID, AsString]
    name: Name
    status: Annotated[ServiceStatus, AsString] = ServiceStatus.active
    categories: list[Annotated[Category, AsString]] = Field(default_factory=list, max_length=11)
    taxonomy_term_ids: list[Annotated[uuid.UUID, AsString]] = Field(
        default_factory=list, max_length=50, description="Terms of other taxonomies"
    )
    languages: list[LanguageIn] = Field(default_factory=list, max_length=20)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    schedules: list[ScheduleIn] = Field(default_factory=list, max_length=14)
    locations: list[LocationIn] = Field(default_factory=list, max_length=50)


class ServiceUpdate(ServiceFields):
    """Every field optional; ``categories``, ``phones``, ``schedules`` and ``locations``,
    when given, replace what the service had."""

    name: Name | None = None
    status: Annotated[ServiceStatus, AsString] | None = None
    categories: list[Annotated[Category, AsString]] | None = Field(default=None, max_length=11)
    taxonomy_term_ids: list[Annotated[uuid.UUID, AsString]] | None = Field(
        default=None, max_length=50
    )
    languages: list[LanguageIn] | None = Field(default=None, max_length=20)
    phones: list[PhoneIn] | None = Field(default=None, max_length=10)
    schedules: list[ScheduleIn] | None = Field(default=None, max_length=14)
    locations: list[LocationIn] | None = Field(default=None, max_length=50)


# -- reads -----------------------------------------------------------------------------------
class PhoneRead(Output):
    id: uuid.UUID
    number: str
    extension: int | None
    type: str | None
    description: str | None
    languages: list[dict[str, Any]]


class ScheduleRead(Output):
    id: uuid.UUID
    valid_from: date | None
    valid_to: date | None
    freq: str | None
    interval: int | None
    byday: list[str]
    opens_at: time | None
    closes_at: time | None
    description: str | None
    notes: str | None


class AddressRead(Output):
    id: uuid.UUID
    attention: str | None
    address_1: str
    address_2: str | None
    city: str
    region: str | None
    state_province: str
    postal_code: str
    country: str
    address_type: str


class ServiceLocationRead(Output):
    id: uuid.UUID
    service_at_location_id: uuid.UUID
    location_type: str
    name: str | None
    description: str | None
    latitude: float | None
    longitude: float | None
    addresses: list[AddressRead]
    phones: list[PhoneRead]
    schedules: list[ScheduleRead]


class OrganizationRead(Output):
    id: uuid.UUID
    name: str
    alternate_name: str | None
    description: str
    email: str | None
    website: str | None
    tax_status: str | None
    tax_id: str | None
    year_incorporated: int | None
    legal_status: str | None
    logo: str | None
    uri: str | None
    parent_organization_id: uuid.UUID | None
    source: str
    last_modified: datetime
    version: int
    created_at: datetime
    updated_at: datetime


class ServiceRead(Output):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    name: str
    alternate_name: str | None
    description: str | None
    url: str | None
    email: str | None
    status: str
    categories: list[str]
    interpretation_services: str | None
    application_process: str | None
    fees_description: str | None
    wait_time: str | None
    eligibility_description: str | None
    minimum_age: int | None
    maximum_age: int | None
    assured_date: date | None
    alert: str | None
    languages: list[dict[str, Any]]
    phones: list[PhoneRead]
    schedules: list[ScheduleRead]
    locations: list[ServiceLocationRead]
    source: str
    last_modified: datetime
    version: int
    distance_km: float | None = None
    open_at: StrictBool | None = Field(
        default=None, description="Open at the search's `open_at` (only when it was asked)"
    )
