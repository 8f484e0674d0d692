"""Base classes for request and response models.

Inputs reject unknown fields, trim strings and accept only aware datetimes (use
``AwareDatetime``); every string field declares a bound. Responses are plain models built
from table rows (``from_attributes``): a table model is never returned as-is.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=10_000)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$"
    ),
]
