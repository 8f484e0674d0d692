from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from csoapi.core.schemas import Code, Input, Name, Output, Token

# Each as long as its column: APCO incident types, and the shorter APCO disposition and
# NIBRS offense codes.
CommonCode = Token(r"^[A-Za-z0-9]+$", max_length=16)
ShortCommonCode = Token(r"^[A-Za-z0-9]+$", max_length=8)
Priority = Annotated[int, Field(ge=1, le=4, description="1 highest … 4 lowest")]
CrimeAgainst = Literal["Person", "Property", "Society"]


class CodeRead(Output):
    code: str
    description: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CallTypeCreate(Input):
    code: Code
    description: Name
    common_code: CommonCode = Field(description="APCO common incident type (e.g. PARKING, VEHABND)")
    default_priority: Priority = 3


class CallTypeUpdate(Input):
    description: Name | None = None
    common_code: CommonCode | None = None
    default_priority: Priority | None = None
    active: StrictBool | None = None


class CallTypeRead(CodeRead):
    common_code: str
    default_priority: int


class DispositionCreate(Input):
    code: Code
    description: Name
    common_code: ShortCommonCode | None = Field(
        default=None, description="APCO common disposition code (e.g. 01 Report Taken)"
    )


class DispositionUpdate(Input):
    description: Name | None = None
    common_code: ShortCommonCode | None = None
    active: StrictBool | None = None


class DispositionRead(CodeRead):
    common_code: str | None


class OffenseCreate(Input):
    code: Code
    description: Name
    common_code: ShortCommonCode = Field(description="NIBRS offense code (e.g. 290, 23F)")
    crime_against: CrimeAgainst


class OffenseUpdate(Input):
    description: Name | None = None
    common_code: ShortCommonCode | None = None
    crime_against: CrimeAgainst | None = None
    active: StrictBool | None = None


class OffenseRead(CodeRead):
    common_code: str
    crime_against: str
