"""Agency code tables, each agency code mapped to the common code that standards carry:
call types → APCO common incident types; dispositions → APCO common disposition codes;
offenses → NIBRS offense codes."""

from __future__ import annotations

from sqlmodel import Field

from csoapi.core.models import Versioned


class CallType(Versioned, table=True):
    __tablename__ = "call_type"

    code: str = Field(max_length=32, primary_key=True)
    description: str = Field(max_length=200)
    common_code: str = Field(max_length=16)  # APCO common incident type, as NENA EIDO carries it
    default_priority: int = Field(default=3)
    active: bool = Field(default=True)


class Disposition(Versioned, table=True):
    __tablename__ = "disposition"

    code: str = Field(max_length=32, primary_key=True)
    description: str = Field(max_length=200)
    common_code: str | None = Field(default=None, max_length=8)  # APCO common disposition code
    active: bool = Field(default=True)


class Offense(Versioned, table=True):
    __tablename__ = "offense"

    code: str = Field(max_length=32, primary_key=True)
    description: str = Field(max_length=200)
    common_code: str = Field(max_length=8)  # NIBRS offense code
    crime_against: str = Field(max_length=16)  # Person, Property, Society
    active: bool = Field(default=True)
