"""Base classes for request and response models.

Inputs reject unknown fields, trim text and accept only aware datetimes (use
``AwareDatetime``); every string field declares a bound. Code-like values (``Token``) are
not trimmed: they are checked exactly against their published pattern. Responses are plain
models built from table rows (``from_attributes``): a table model is never returned as-is.

Inputs are strict: what their published JSON Schema refuses, they refuse (``"100"`` and
``true`` are no integer, ``false`` is no object), and what it accepts they accept (``100.0``
is an integer). FastAPI validates a body after decoding
its JSON, in pydantic's Python mode, where strict would also refuse the strings JSON
carries dates, times, ids and enumerations in; those types say ``AsString`` (``Timestamp``,
``Day``, ``Id``, ``Annotated[SomeEnum, AsString]``), which for a value decoded from JSON is
exactly what pydantic's strict JSON mode accepts: the string, and nothing else.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from csoapi.core.clock import to_utc
from csoapi.core.errors import UnsupportedMediaType

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


FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _declared_media_types(request: Request) -> set[str]:
    """The media types a route's request body declares beyond JSON (``openapi_extra``)."""
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    content = (extra.get("requestBody") or {}).get("content") or {}
    return {str(k).lower() for k in content}


class _DuplicateKey(ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


async def unique_json_keys(request: Request) -> None:
    """A JSON body whose objects name a key twice is a 422, like one that does not parse:
    Python's decoder keeps the last value, another reader might keep the first, and a check
    made on one value must not let the other through (RFC 8259 §4: names SHOULD be unique;
    RFC 7493 I-JSON: MUST).

    FastAPI has already decoded the body (and answered a malformed one with 422) when this
    runs, before the route's own dependencies and validation; this decodes it once more with
    a hook per object, about 10 µs for a call intake and 50 µs for a 9 KB report (a
    pathological 1 MiB of empty objects, 50 ms, on top of the 30 ms of the first decoding)."""
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in FORM_MEDIA_TYPES:
        return  # read by FastAPI as a form already (its stream is consumed)
    body = await request.body()
    if not body:
        return
    if media_type in _declared_media_types(request):
        return  # a body the route reads itself (a photo upload), as its OpenAPI says
    if media_type != "application/json" and not media_type.endswith("+json"):
        # A body this API cannot read is a 415 that says what it takes, not a 422 about
        # the fields a JSON reading of it would lack.
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'} is not accepted: send application/json "
            "(the token and revoke endpoints: application/x-www-form-urlencoded)"
        )
    if "json" not in media_type:
        return
    try:
        json.loads(body, object_pairs_hook=_unique)
    except _DuplicateKey as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_duplicate_key",
                    "loc": ("body",),
                    "msg": f"The key {str(exc)!r} appears twice in one JSON object",
                    "input": str(exc),
                }
            ]
        ) from None
    except ValueError:  # malformed: FastAPI's own decoding has answered it already
        return


class Input(NoNul):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        allow_inf_nan=False,  # JSON has no NaN or Infinity, whatever Python's decoder takes
        str_strip_whitespace=True,
        str_max_length=10_000,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _integral_numbers(cls, value: Any) -> Any:
        # JSON has one kind of number: 100.0 is the integer 100 to JSON Schema ("integer"
        # matches any number with a zero fractional part), and Python's decoder makes it a
        # float, which strict mode would refuse for an int. 100.5 still is no integer.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


# A value JSON carries as a string (see the module's docstring): lax for this type only.
AsString = Strict(False)
Id = Annotated[uuid.UUID, AsString]


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
Timestamp = Annotated[
    AwareDatetime, AsString, BeforeValidator(_rfc3339_only), AfterValidator(to_utc)
]


def _iso_date_only(value: Any) -> Any:
    """Dates come as YYYY-MM-DD; numbers (epoch seconds) and date-times are refused."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value.strip()


Day = Annotated[date, AsString, BeforeValidator(_iso_date_only)]


def _not_after_today(value: date) -> date:
    # Today somewhere: the last time zone to start a day is UTC+14, so a later date has not
    # begun anywhere (the agency's own day may be up to one behind that: a day's leeway, as
    # times have their clock skew).
    if value > (datetime.now(UTC) + timedelta(hours=14)).date():
        raise PydanticCustomError("date_in_future", "Date should not be in the future")
    return value


PastDay = Annotated[Day, AfterValidator(_not_after_today)]
"""A day that has begun (a date of birth, say): a later one is refused, 422."""
