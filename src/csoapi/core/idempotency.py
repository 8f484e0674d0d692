"""Idempotency-Key: a retried POST replays the first response instead of acting twice.

The key row is inserted in the same transaction as the work it guards and completed with
the response before commit, so a key is either absent or holds a finished response. Two
concurrent requests with one key: the second waits on the unique index (PostgreSQL) or the
write lock (SQLite) until the first commits, then replays its response. Keys are scoped per
principal and kept ``idempotency_ttl_hours`` (≥ 24 h).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Header, Request
from sqlmodel import Field, Session, SQLModel

from csoapi.core.context import RequestContext
from csoapi.core.db import per_dialect
from csoapi.core.errors import Conflict, Unprocessable
from csoapi.core.models import created_field, id_field, utc_column, utcnow

KEY_MAX = 255
PURGE_ONE_IN = 100  # about one keyed request in a hundred also sheds expired keys
PURGE_BATCH = 500


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("principal", "key"),)

    id: uuid.UUID = id_field()
    principal: str = Field(max_length=48)
    key: str = Field(max_length=KEY_MAX)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None
    response_body: str | None = Field(default=None, sa_type=sa.Text)
    response_headers: dict[str, str] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = created_field()
    expires_at: datetime = utc_column(index=True)


def purge_expired(session: Session, now: datetime) -> int:
    """Delete up to PURGE_BATCH keys past their lifetime (they no longer replay anything)."""
    doomed = (
        sa.select(IdempotencyRecord.id)
        .where(IdempotencyRecord.expires_at < now)
        .limit(PURGE_BATCH)
        .scalar_subquery()
    )
    result = session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(doomed)))
    return int(result.rowcount or 0)


_TABLE = IdempotencyRecord.__table__  # type: ignore[attr-defined]
# Built once: the key claim (insert unless taken), the removal of an expired key, and the
# stored response.
_CLAIM = per_dialect(lambda insert: insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id))
_DROP = sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == sa.bindparam("id"))
_COMPLETE = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("record_id"))
    .values(
        status_code=sa.bindparam("status"),
        response_body=sa.bindparam("body"),
        response_headers=sa.bindparam("headers", type_=_TABLE.c.response_headers.type),
    )
)


class IdempotentReplay(Exception):
    """Raised to answer with a stored response; rendered by the error mapper."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("idempotent replay")
        self.status_code = record.status_code or 200
        self.body = record.response_body or "null"
        self.headers = dict(record.response_headers or {})


class Idempotency:
    def __init__(
        self,
        session: Session,
        ctx: RequestContext,
        key: str | None,
        fingerprint: str,
        method: str,
        path: str,
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.key = key
        self.fingerprint = fingerprint
        self.method = method
        self.path = path
        self._record_id: uuid.UUID | None = None

    @property
    def _principal(self) -> str:
        p = self.ctx.actor
        return f"{p.kind}:{p.id}"

    def _existing(self) -> IdempotencyRecord | None:
        return self.session.scalars(
            sa.select(IdempotencyRecord).where(
                IdempotencyRecord.principal == self._principal, IdempotencyRecord.key == self.key
            )
        ).first()

    def _replay_or_reject(self, record: IdempotencyRecord) -> None:
        if record.fingerprint != self.fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was already used with a different request body",
                code="idempotency_key_reused",
            )
        raise IdempotentReplay(record)

    def begin(self) -> None:
        if self.key is None:
            return
        now = utcnow()
        if secrets.randbelow(PURGE_ONE_IN) == 0:
            purge_expired(self.session, now)
        conn = self.session.connection()
        claim = _CLAIM[conn.dialect.name]
        row = {
            "principal": self._principal,
            "key": self.key,
            "method": self.method,
            "path": self.path[:512],
            "fingerprint": self.fingerprint,
            "created_at": now,
            "expires_at": now + timedelta(hours=self.ctx.settings.idempotency_ttl_hours),
        }
        # Claim the key in one statement. If another transaction holds it uncommitted,
        # PostgreSQL waits here until that one ends, so the loser sees the winner's
        # finished response. A key past its lifetime is dropped and claimed afresh.
        for _ in range(3):
            record_id = uuid.uuid4()
            if conn.execute(claim, row | {"id": record_id}).first() is not None:
                self._record_id = record_id
                return
            existing = self._existing()
            if existing is None:  # it expired and was purged meanwhile: claim again
                continue
            if existing.expires_at > now:
                self._replay_or_reject(existing)
            conn.execute(_DROP, {"id": existing.id})
            self.session.expunge(existing)
        raise Conflict(  # pragma: no cover - three lost races on one key
            "This Idempotency-Key is being used by another request; retry",
            code="idempotency_key_busy",
        )

    def complete(self, status_code: int, body: str, headers: dict[str, str]) -> None:
        if self._record_id is None:
            return
        self.session.connection().execute(
            _COMPLETE,
            {"record_id": self._record_id, "status": status_code, "body": body, "headers": headers},
        )


def _canonical(body: bytes) -> bytes:
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        return body


async def request_fingerprint(request: Request) -> str:
    body = await request.body()
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}\n".encode())
    digest.update(_canonical(body))
    return digest.hexdigest()


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=KEY_MAX,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe key (printable ASCII, ≤ 255): the same key and body replay the "
        "first response; the same key with another body is 422 idempotency_key_reused",
    ),
]


@dataclass(frozen=True, slots=True)
class IdempotencyRequest:
    """What a request brings to idempotency (its key, if any, and its body's fingerprint);
    ``begin`` claims the key in the request's transaction."""

    key: str | None
    fingerprint: str
    method: str
    path: str

    def begin(
        self, session: Session, ctx: RequestContext, *, required_for_clients: bool = False
    ) -> Idempotency:
        """Claim the key (or raise the replay of its first response); for payments, machine
        clients must send a key."""
        if self.key is None and required_for_clients and ctx.actor.kind == "client":
            raise Unprocessable(
                "Machine clients must send an Idempotency-Key with this request",
                code="idempotency_key_required",
            )
        idem = Idempotency(session, ctx, self.key, self.fingerprint, self.method, self.path)
        idem.begin()
        return idem


def stored_headers(headers: dict[str, Any]) -> dict[str, str]:
    keep = {"location", "etag", "content-type"}
    return {k: str(v) for k, v in headers.items() if k.lower() in keep}
