"""What every table shares: constraint names, UTC timestamps, id/version/timestamp columns."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Named constraints make migrations reviewable and identical on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; comes back aware (UTC) on both databases.

    A naive value never reaches this type: request models only accept aware datetimes,
    and code inside the service uses :func:`utcnow`. A naive value here is a bug, so it fails.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


M = TypeVar("M", bound=SQLModel)


@functools.cache
def _factories(model: type[SQLModel]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    fields = model.model_fields.items()
    return tuple((name, f.default_factory) for name, f in fields if f.default_factory)  # type: ignore[misc]


def new_row(model: type[M], **values: Any) -> M:
    """``model(**values)``, with the fields' default factories called here. SQLModel's
    constructor asks pydantic for each missing default, and pydantic inspects the factory's
    signature on every such call (about 0.2 ms of each citation issued); rows made on hot
    paths are made with this."""
    for name, factory in _factories(model):
        if name not in values:
            values[name] = factory()
    return model(**values)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable, index=index)


def id_field() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def created_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class Versioned(SQLModel):
    """Mutable resources: optimistic concurrency (ETag/If-Match) and change stamps."""

    version: int = Field(default=1, nullable=False)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()

    def touch(self) -> None:
        self.version += 1
        self.updated_at = utcnow()
