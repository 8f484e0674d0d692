"""Expired idempotency keys and finished rate-limit windows are shed, nothing else."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from csoapi.core import ratelimit
from csoapi.core.idempotency import IdempotencyRecord, purge_expired
from csoapi.core.models import utcnow


def test_purge_expired_idempotency_keys(db):
    now = utcnow()
    for key, expires in (
        ("old-1", now - timedelta(hours=1)),
        ("old-2", now - timedelta(days=3)),
        ("live", now + timedelta(hours=1)),
    ):
        db.add(
            IdempotencyRecord(
                principal="user:x",
                key=key,
                method="POST",
                path="/x",
                fingerprint="0" * 64,
                expires_at=expires,
            )
        )
    db.flush()
    assert purge_expired(db, now) == 2
    assert db.scalars(sa.select(IdempotencyRecord.key)).all() == ["live"]


def test_purge_finished_rate_windows(db):
    now = utcnow().replace(second=0, microsecond=0)
    db.add(
        ratelimit.RateCounter(key="k", window_start=now - timedelta(minutes=5), shard=0, count=3)
    )
    db.add(ratelimit.RateCounter(key="k", window_start=now, shard=0, count=1))
    db.flush()
    assert ratelimit.purge_before(db, now - timedelta(minutes=2)) == 1
    assert db.scalars(sa.select(ratelimit.RateCounter.window_start)).all() == [now]
