"""The audit trail, hash-chained: each audit row is sealed, in turn, into ``audit_seal`` with a
SHA-256 over the previous seal's hash and the row's content, so that any change to a sealed
row, a removed row or a reordered chain is found by ``verify`` (``csoapi audit verify``).

Requests never wait for the chain: they append audit rows as before, and sealing happens
after commit, in batches (``seal``: the worker does it on every pass, ``csoapi audit seal`` on
demand), one sealer at a time (a PostgreSQL advisory lock; SQLite's one writer). The chain's
order is the order rows were sealed in; a row whose transaction committed late is sealed
with the next batch. ``audit_seal`` is append-only like ``audit_event`` (triggers, and no
UPDATE, DELETE or TRUNCATE for the serving role)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from csoapi.core.audit import AuditEvent, BigIntPK
from csoapi.core.models import utc_column, utcnow

GENESIS = "0" * 64
PURGE_ACTION = "audit.purged"  # core.audit_retention: a prefix of the chain removed
_LOCK_KEY = 0x637361_6175_64  # "csoaud": one sealer at a time on PostgreSQL
_FIELDS = (
    "id", "at", "actor_kind", "actor_id", "actor_name", "role", "action", "entity_type",
    "entity_id", "request_id", "source_ip", "outcome", "detail",
)  # fmt: skip


class AuditSeal(SQLModel, table=True):
    __tablename__ = "audit_seal"

    seq: int = Field(sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=False))
    audit_id: int = Field(
        sa_column=sa.Column(
            sa.BigInteger, sa.ForeignKey("audit_event.id"), unique=True, nullable=False
        )
    )
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    sealed_at: datetime = utc_column()


def row_hash(prev_hash: str, row: AuditEvent) -> str:
    """SHA-256 over the previous hash and the row's every field, in a canonical JSON."""
    content: dict[str, Any] = {name: getattr(row, name) for name in _FIELDS}
    content["at"] = row.at.isoformat(timespec="microseconds") if row.at else None
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def _unsealed(what: Any) -> sa.Select[Any]:
    """``what`` over the audit rows not yet in the chain."""
    return (
        sa.select(what)
        .select_from(AuditEvent)
        .outerjoin(AuditSeal, AuditSeal.audit_id == AuditEvent.id)
        .where(AuditSeal.seq.is_(None))
    )


def seal(session: Session, batch: int = 1000) -> int:
    """Seal up to ``batch`` unsealed audit rows in id order; how many. Commits nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.scalars(sa.select(AuditSeal).order_by(AuditSeal.seq.desc()).limit(1)).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    unsealed = session.scalars(_unsealed(AuditEvent).order_by(AuditEvent.id).limit(batch)).all()
    now = utcnow()
    for row in unsealed:
        seq += 1
        digest = row_hash(prev, row)
        session.add(AuditSeal(seq=seq, audit_id=row.id, prev_hash=prev, hash=digest, sealed_at=now))
        prev = digest
    session.flush()
    return len(unsealed)


@dataclass(frozen=True)
class Verdict:
    sealed: int
    unsealed: int
    broken_at: int | None = None  # the first seal that does not verify
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def _start(session: Session) -> tuple[int, str] | Verdict:
    """Where the chain starts: seal 1 from the genesis hash or, after a retention purge, the
    seal after the last one purged, from the hash the purge recorded (its own row sealed into
    the chain). A Verdict when the start is missing with no purge to account for it."""
    first = session.scalars(sa.select(AuditSeal).order_by(AuditSeal.seq).limit(1)).first()
    if first is None or first.seq == 1:
        return 0, GENESIS
    purges = session.scalars(
        sa.select(AuditEvent)
        .join(AuditSeal, AuditSeal.audit_id == AuditEvent.id)
        .where(AuditEvent.action == PURGE_ACTION)
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    )
    for purge in purges:
        detail = purge.detail or {}
        if detail.get("through_seq") == first.seq - 1:
            if detail.get("anchor_hash") != first.prev_hash:
                return Verdict(0, 0, first.seq, "does not link to the purge's anchor")
            return first.seq - 1, first.prev_hash
    return Verdict(0, 0, 1, f"seals 1 to {first.seq - 1} are gone, and no purge removed them")


def verify(session: Session, chunk: int = 5000) -> Verdict:
    """Walk the chain from its start (see ``_start``): every seal's number follows the last,
    links to the previous hash, and matches its row as the row reads now."""
    start = _start(session)
    if isinstance(start, Verdict):
        return start
    (seq, prev), count = start, 0
    after = seq
    while True:
        rows = session.execute(
            sa.select(AuditSeal, AuditEvent)
            .outerjoin(AuditEvent, AuditEvent.id == AuditSeal.audit_id)
            .where(AuditSeal.seq > after)
            .order_by(AuditSeal.seq)
            .limit(chunk)
        ).all()
        if not rows:
            break
        for mark, row in rows:
            seq += 1
            if mark.seq != seq:
                return Verdict(count, 0, seq, f"seal {seq} is missing")
            if mark.prev_hash != prev:
                return Verdict(count, 0, seq, "does not link to the seal before it")
            if row is None:
                return Verdict(count, 0, seq, f"audit row {mark.audit_id} is gone")
            if row_hash(prev, row) != mark.hash:
                return Verdict(count, 0, seq, f"audit row {row.id} was changed")
            prev, count, after = mark.hash, count + 1, mark.seq
    unsealed = session.scalar(_unsealed(sa.func.count()))
    return Verdict(count, int(unsealed or 0))


def seal_pass(sessions: Any, batch: int = 1000) -> int:
    """One sealing pass in a transaction of its own (the worker runs one each loop)."""
    with sessions() as session:
        done = seal(session, batch)
        session.commit()
        return done
