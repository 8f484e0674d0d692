"""The event outbox: state changes are appended here in the same transaction as the change.

Readers (the pull feed, webhook workers) page by ``position``. On PostgreSQL the position is
(transaction id, row id) and a reader only sees events of transactions older than every
transaction still running, so an event that commits late can never land behind a position a
reader has already passed. On SQLite writers are serialized, so row id order is commit order.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from csoapi.core import writes
from csoapi.core.errors import Unprocessable
from csoapi.core.models import UTCDateTime, utcnow

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"
    __table_args__ = (sa.Index("ix_outbox_event_txid_id", "txid", "id"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BigIntPK, primary_key=True))
    txid: int = Field(sa_type=sa.BigInteger, default=0)
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    type: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    occurred_at: datetime = Field(sa_type=UTCDateTime())
    read_scope: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_type=sa.JSON)


def _appender(txid: Any) -> sa.Insert:
    table = OutboxEvent.__table__  # type: ignore[attr-defined]
    return sa.insert(table).values(txid=txid)


# Built once per dialect; each event binds its own values. On PostgreSQL the row carries the
# writing transaction's id (the feed's ordering key); SQLite serializes writers and uses 0.
_APPEND = {
    "postgresql": _appender(sa.cast(sa.cast(sa.func.pg_current_xact_id(), sa.Text), sa.BigInteger)),
    "sqlite": _appender(0),
}


def append(
    session: Session,
    type: str,
    *,
    entity_type: str,
    entity_id: Any,
    read_scope: str,
    payload: dict[str, Any],
) -> None:
    """Append one event in the caller's transaction. ``payload`` holds ids and the fields a
    holder of ``read_scope`` may see (never referral personal data)."""
    writes.insert(
        session,
        _APPEND[session.connection().dialect.name],
        {
            "event_id": uuid.uuid4(),
            "type": type,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "occurred_at": utcnow(),
            "read_scope": read_scope,
            "payload": payload,
        },
    )


def encode_position(txid: int, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{txid}.{row_id}".encode()).decode().rstrip("=")


def decode_position(value: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        txid, row_id = (int(p) for p in raw.split("."))
    except (ValueError, UnicodeDecodeError):
        raise Unprocessable(
            "'after' is not a position this feed gave out", code="invalid_cursor"
        ) from None
    # Only the form encode_position writes, of values a BIGINT holds ("1.99999999999999999999"
    # reached the driver and failed there, a 500).
    if not (0 <= txid < 2**63 and 0 <= row_id < 2**63) or encode_position(txid, row_id) != value:
        raise Unprocessable("'after' is not a position this feed gave out", code="invalid_cursor")
    return txid, row_id


def outbox_horizon(session: Session) -> Any:
    """On PostgreSQL, the transaction id below which every writer has finished: a reader
    takes only events of transactions under it (see the module's docstring). None on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return sa.cast(
        sa.cast(sa.func.pg_snapshot_xmin(sa.func.pg_current_snapshot()), sa.Text), sa.BigInteger
    )


def read_feed(
    session: Session,
    *,
    after: tuple[int, int] | None,
    types: list[str] | None,
    scopes: frozenset[str],
    limit: int,
) -> list[OutboxEvent]:
    stmt = sa.select(OutboxEvent).where(OutboxEvent.read_scope.in_(sorted(scopes)))
    if after is not None:
        stmt = stmt.where(sa.tuple_(OutboxEvent.txid, OutboxEvent.id) > sa.tuple_(*after))
    if types:
        stmt = stmt.where(OutboxEvent.type.in_(types))
    horizon = outbox_horizon(session)
    if horizon is not None:
        stmt = stmt.where(OutboxEvent.txid < horizon)
    stmt = stmt.order_by(OutboxEvent.txid, OutboxEvent.id).limit(limit)
    return list(session.scalars(stmt).all())
