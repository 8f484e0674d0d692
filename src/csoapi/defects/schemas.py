from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from csoapi.core.schemas import Id, Input, Name, Output, Text

DefectKind = Literal["parking_meter", "sign", "signal", "streetlight", "road_obstruction", "other"]
Forwarding = Literal["pending", "forwarded", "failed"]


class DefectLocation(Input):
    address: Name | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _somewhere(self) -> DefectLocation:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon come together")
        if self.address is None and self.lat is None:
            raise ValueError("an address or lat/lon is required")
        return self


class DefectCreate(Input):
    kind: DefectKind
    location: DefectLocation
    description: Text
    call_id: Id | None = None


class PhotoRead(Output):
    id: uuid.UUID
    content_type: str
    width: int
    height: int
    size_bytes: int
    sha256: str
    created_at: datetime


class LocationRead(Output):
    address: str | None
    lat: float | None
    lon: float | None


class DefectRead(Output):
    id: uuid.UUID
    kind: str
    location: LocationRead
    description: str
    call_id: uuid.UUID | None
    reported_by: uuid.UUID | None
    forwarding: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    service_request_id: str | None
    forwarded_at: datetime | None
    status: str | None
    status_notes: str | None
    closed_at: datetime | None
    photos: list[PhotoRead]
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DefectFilters:
    kind: str | None = None
    forwarding: str | None = None
    status: str | None = None
    call_id: uuid.UUID | None = None
