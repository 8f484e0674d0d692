"""Audit retention: ``csoapi audit purge`` removes the oldest part of the audit trail once all
of it is older than the agency's retention period, which can never be shorter than the
policy's floor (``audit_retention.json``, with its source: at least one year).

Only a prefix of the hash chain goes, so what is left still verifies: each purge records, as
an audit row of its own sealed into the chain at once, the last seal it removed and that
seal's hash, and ``audit_chain.verify`` starts the remaining chain from that anchor. Unsealed
rows are sealed first, so nothing leaves the trail without having been in the chain. On
PostgreSQL the tables' append-only triggers let a DELETE through only in a transaction that
says ``csoapi.audit_purge`` (migration 0022); the serving role has no DELETE at all, so the
purge runs as the tables' owner, as ``migrate`` does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.audit import AuditEvent
from csoapi.core.audit_chain import PURGE_ACTION, AuditSeal, seal
from csoapi.core.context import RequestContext


@dataclass(frozen=True)
class RetentionPolicy:
    version: str
    minimum_days: int


def load_policy(name: str = "audit_retention.json") -> RetentionPolicy:
    data = json.loads(resources.files(__package__).joinpath(name).read_text())
    return RetentionPolicy(version=str(data["version"]), minimum_days=int(data["minimum_days"]))


POLICY = load_policy()


class RetentionTooShort(ValueError):
    """A retention shorter than the policy's floor was asked for."""


def cutoff(keep_days: int, now: datetime, policy: RetentionPolicy = POLICY) -> datetime:
    """The moment before which audit rows may go: ``keep_days`` before ``now``, refused when
    that is shorter than the policy allows."""
    if keep_days < policy.minimum_days:
        raise RetentionTooShort(
            f"audit rows are kept at least {policy.minimum_days} days "
            f"(audit_retention.json {policy.version}); {keep_days} is shorter"
        )
    return now - timedelta(days=keep_days)


@dataclass(frozen=True)
class Purged:
    rows: int
    through_seq: int


def _prefix(session: Session, before: datetime) -> sa.ColumnElement[bool]:
    """The chain's seals all of whose rows are older than ``before``: those before the first
    younger one, so that only a prefix of the chain goes."""
    first_young = session.scalar(
        sa.select(sa.func.min(AuditSeal.seq))
        .join(AuditEvent, AuditEvent.id == AuditSeal.audit_id)
        .where(AuditEvent.at >= before)
    )
    return sa.true() if first_young is None else AuditSeal.seq < first_young


def _seal_everything(session: Session) -> None:
    """Seal what is unsealed, as the purge does first (the sealer's lock is held for the rest
    of the transaction)."""
    while seal(session):
        pass


def eligible(session: Session, before: datetime) -> int:
    """How many rows a purge with this cutoff would remove (the dry run's count). It seals
    what is unsealed first, as the purge does, in the caller's transaction: a dry run rolls
    that back."""
    _seal_everything(session)
    count = sa.select(sa.func.count()).select_from(AuditSeal).where(_prefix(session, before))
    return int(session.scalar(count) or 0)


def purge(
    session: Session, ctx: RequestContext, *, keep_days: int, now: datetime, batch: int = 5000
) -> Purged | None:
    """One batch: seal what is unsealed, remove up to ``batch`` of the oldest sealed rows that
    are all older than the retention period, and record the purge in the chain. None when
    nothing is old enough. Commits nothing."""
    before = cutoff(keep_days, now)
    _seal_everything(session)
    query = sa.select(AuditSeal).where(_prefix(session, before)).order_by(AuditSeal.seq)
    marks = list(session.scalars(query.limit(batch)))
    if not marks:
        return None
    last = marks[-1]
    audit.record(
        session, ctx, PURGE_ACTION, entity_type="audit_trail",
        detail={"through_seq": last.seq, "anchor_hash": last.hash, "rows": len(marks),
                "before": before.isoformat(), "keep_days": keep_days,
                "policy": POLICY.version},
    )  # fmt: skip
    session.flush()
    seal(session)  # the purge's own row joins the chain before anything leaves it
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT set_config('csoapi.audit_purge', 'on', true)"))
    ids = [m.audit_id for m in marks]
    session.execute(sa.delete(AuditSeal).where(AuditSeal.seq <= last.seq))
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        session.execute(sa.delete(AuditEvent).where(AuditEvent.id.in_(chunk)))  # type: ignore[union-attr]
    return Purged(rows=len(marks), through_seq=last.seq)
