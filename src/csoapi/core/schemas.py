"""Base classes for request and response models.

Inputs reject unknown fields, trim text and accept only aware datetimes (use
``AwareDatetime``); every string field declares a bound. Code-like values (``Token``) are
not trimmed: they are checked exactly against their published pattern. Responses are plain
models built from table rows (``from_attributes``): a table model is never returned as-is.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    field_validator,
)

from csoapi.core.clock import to_utc

NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):  # most fields
        return "\x00" in value
    # Without recursion: a body may nest lists hundreds deep (a 422 for its shape, later).
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


class NoNul(BaseModel):
    """A request body: no text in any field may hold U+0000, which PostgreSQL's text cannot
    store and no value we take has a use for (the same 422 on every database). Paths and
    query strings are checked once for all in ``RequestContextMiddleware``."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


class Input(NoNul):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=10_000)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Human text: trimmed, bounded, not blank. "Blank" is spelled as a character class that the
# schema's readers (ECMA regex), pydantic (Rust regex) and str.strip() agree on.
NOT_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"


def Words(max_length: int) -> Any:  # noqa: N802 - reads as a type in signatures
    """A trimmed, non-blank string of at most ``max_length`` characters."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=max_length, pattern=NOT_BLANK
        ),
    ]


Text = Words(10_000)
Name = Words(200)
ShortText = Words(500)


def Token(  # noqa: N802 - reads as a type in signatures
    pattern: str,
    *,
    max_length: int,
    min_length: int = 1,
    case: Literal["upper", "lower"] | None = None,
) -> Any:
    """A code-like value (identifier, code, plate, phone number), checked exactly as sent:
    never trimmed, so the published pattern and lengths are the whole rule and a padded
    value is the 422 the schema promises. ``pattern`` must not let the value begin or end
    with a space. ``case`` normalizes what is stored (plates in upper case, say)."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=False,
            to_upper=case == "upper",
            to_lower=case == "lower",
            min_length=min_length,
            max_length=max_length,
            pattern=pattern,
        ),
    ]


Code = Token(r"^[A-Za-z0-9_.\-]+$", max_length=32)

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$"
)


def _rfc3339_only(value: Any) -> Any:
    """Times come as RFC 3339 strings with an offset; numbers (epoch seconds) are refused."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value.strip()):
        raise ValueError(
            "must be an RFC 3339 date-time with an offset, e.g. 2026-11-24T08:30:00-08:00"
        )
    return value.strip()


# Stored and answered in UTC, whatever offset it came with.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_only), AfterValidator(to_utc)]


def _iso_date_only(value: Any) -> Any:
    """Dates come as YYYY-MM-DD; numbers (epoch seconds) and date-times are refused."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value.strip()


Day = Annotated[date, BeforeValidator(_iso_date_only)]
