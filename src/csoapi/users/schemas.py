from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from csoapi.core.passwords import PASSWORD_MAX, PASSWORD_MIN
from csoapi.core.schemas import AsString, Input, Name, Output, Token, Words
from csoapi.core.scopes import Role

# Sign-in names are case-insensitive: accepted in any case, stored in lower case.
Username = Token(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$", max_length=64, case="lower")
# Passwords are taken exactly as typed: never trimmed.
Password = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
]
Badge = Words(32)


class UserCreate(Input):
    username: Username
    full_name: Name
    badge_number: Badge | None = None
    role: Annotated[Role, AsString]
    password: Password


class UserUpdate(Input):
    full_name: Name | None = None
    badge_number: Badge | None = None
    role: Annotated[Role, AsString] | None = None
    password: Password | None = None


class UserRead(Output):
    id: uuid.UUID
    username: str
    full_name: str
    badge_number: str | None
    role: Role
    active: bool
    locked_until: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class StaffRead(Output):
    """Whom a dispatcher can assign a call to: no personal data beyond the display name;
    whether the person is on duty now (signed on), and since when."""

    id: uuid.UUID
    badge_number: str | None
    display_name: str
    role: Annotated[Role, AsString]
    on_duty: bool
    on_duty_since: datetime | None
