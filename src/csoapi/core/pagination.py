"""The one pagination helper: opaque keyset cursors over ``(sort key…, id)``.

A cursor is the sort-key values of the last row of a page, base64url-encoded JSON with a
tag naming the listing, so that a deep page costs what the first one costs (an index seek,
never an OFFSET) and rows that share a timestamp are each visited exactly once.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

import sqlalchemy as sa
from fastapi import Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from csoapi.core.errors import Unprocessable

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

LimitQuery = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Page size (1–{MAX_LIMIT}, default {DEFAULT_LIMIT})"),
]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=512,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="Opaque cursor from the previous page's `next_cursor`",
    ),
]

KeyKind = Literal["datetime", "date", "uuid", "int", "str"]
# Runs a page's finished statement and returns its rows: for a listing that sends
# something in the page's own statement (``audit.listing``).
PageFetch = Callable[[Session, sa.Select[Any]], list[Any]]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of the keyset: how to read it from a row and how to (de)serialize it."""

    column: Any
    kind: KeyKind
    get: Callable[[Any], Any]


def _dump(kind: KeyKind, value: Any) -> Any:
    if value is None:
        raise ValueError("keyset columns must not be null")
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "uuid":
        return str(value)
    return value


_INT64 = 2**63


def _load(kind: KeyKind, value: Any) -> Any:
    """The value ``_dump`` wrote, or ``ValueError`` (a 422 ``invalid_cursor``). Only the exact
    form this API writes is read back (times in UTC, ids in canonical form, integers a BIGINT
    holds, text a database can store): a cursor is opaque, so anything else was crafted, and
    such a value (9999-12-31 at -01:00 is in year 10000 in UTC; 2**63 is no BIGINT; NUL is no
    PostgreSQL text) would otherwise fail converting to UTC or in the driver, a 500."""
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or not -_INT64 <= value < _INT64:
            raise ValueError("int")
        return value
    if not isinstance(value, str):
        raise ValueError(kind)
    if kind == "datetime":
        loaded: Any = datetime.fromisoformat(value)
        if loaded.utcoffset() != timedelta(0):
            raise ValueError("not UTC")
        loaded = loaded.astimezone(UTC)
    elif kind == "date":
        loaded = date.fromisoformat(value)
    elif kind == "uuid":
        loaded = uuid.UUID(value)
    else:
        if "\x00" in value:
            raise ValueError("NUL")
        value.encode()  # a lone surrogate: UnicodeEncodeError, a ValueError
        return value
    if _dump(kind, loaded) != value:
        raise ValueError("not canonical")
    return loaded


def encode_cursor(tag: str, keys: Sequence[SortKey], row: Any) -> str:
    payload = [tag, [_dump(k.kind, k.get(row)) for k in keys]]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(tag: str, keys: Sequence[SortKey], cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_tag, values = json.loads(raw)
        if got_tag != tag or not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("shape")
        return [_load(k.kind, v) for k, v in zip(keys, values, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Unprocessable(
            "The cursor is not one this listing gave out; start again without it",
            code="invalid_cursor",
        ) from None


def keyset_page(
    session: Session,
    stmt: sa.Select[Any],
    *,
    tag: str,
    keys: Sequence[SortKey],
    limit: int,
    cursor: str | None,
    descending: bool = False,
    scalars: bool = True,
    fetch: PageFetch | None = None,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` for one page ordered by ``keys`` (with ``fetch`` when given); return the
    rows and the next cursor."""
    columns = [k.column for k in keys]
    if cursor:
        after = decode_cursor(tag, keys, cursor)
        row_key = sa.tuple_(*columns)
        bound = sa.tuple_(
            *[sa.literal(v, type_=c.type) for v, c in zip(after, columns, strict=True)]
        )
        stmt = stmt.where(row_key < bound if descending else row_key > bound)
    order = [c.desc() if descending else c.asc() for c in columns]
    stmt = stmt.order_by(*order).limit(limit + 1)
    if fetch is not None:
        rows = fetch(session, stmt)
    else:
        result = session.execute(stmt)
        rows = list(result.scalars().all() if scalars else result.all())
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(tag, keys, rows[-1])
    return rows, None
