"""Every query of webhooks: endpoints, the fan-out of outbox events into deliveries, the
claim of due deliveries (several workers side by side) and what an attempt leaves."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Session

from csoapi.core.events import OutboxEvent, outbox_horizon
from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

ENDPOINT_KEYS = (
    SortKey(WebhookEndpoint.created_at, "datetime", lambda e: e.created_at),
    SortKey(WebhookEndpoint.id, "uuid", lambda e: e.id),
)
DELIVERY_KEYS = (SortKey(WebhookDelivery.id, "int", lambda d: d.id),)
OPEN = ("pending", "delivering")


class EndpointRepository(Repository[WebhookEndpoint]):
    model = WebhookEndpoint
    missing = ("No such webhook", "webhook_not_found")
    keys = ENDPOINT_KEYS
    tag = "webhooks"

    def owned(self, pk: uuid.UUID, client_id: uuid.UUID, *, for_update: bool = False):  # type: ignore[no-untyped-def]
        row = self.get(pk, for_update=for_update)
        if row is None or row.client_id != client_id or row.deleted_at is not None:
            return None
        return row

    def page(self, client_id: uuid.UUID, *, limit: int, cursor: str | None):  # type: ignore[no-untyped-def]
        stmt = sa.select(WebhookEndpoint).where(
            WebhookEndpoint.client_id == client_id, WebhookEndpoint.deleted_at.is_(None)
        )
        return self.page_of(stmt, limit=limit, cursor=cursor)

    def log_end(self) -> tuple[int, int]:
        """The position of the last event a reader may see now (where a new endpoint starts)."""
        stmt = sa.select(OutboxEvent.txid, OutboxEvent.id)
        horizon = outbox_horizon(self.session)
        if horizon is not None:
            stmt = stmt.where(OutboxEvent.txid < horizon)
        row = self.session.execute(
            stmt.order_by(OutboxEvent.txid.desc(), OutboxEvent.id.desc()).limit(1)
        ).first()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def failing_among(self, ids: set[uuid.UUID]) -> list[uuid.UUID]:
        if not ids:
            return []
        stmt = sa.select(WebhookEndpoint.id).where(
            WebhookEndpoint.id.in_(ids), WebhookEndpoint.failing_since.is_not(None)
        )
        return list(self.session.scalars(stmt))

    def lock_many(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, WebhookEndpoint]:
        """The endpoints ``ids``, locked in id order (two workers never wait on each other
        crosswise)."""
        if not ids:
            return {}
        stmt = (
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(ids))
            .order_by(WebhookEndpoint.id)
            .with_for_update()
        )
        return {e.id: e for e in self.session.scalars(stmt)}

    # -- the worker's fan-out ----------------------------------------------------------------
    def active_for_fanout(self, limit: int) -> list[WebhookEndpoint]:
        """Active endpoints, each locked by one worker at a time (others skip it)."""
        stmt = (
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.status == "active", WebhookEndpoint.deleted_at.is_(None))
            .order_by(WebhookEndpoint.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(stmt))

    def events_after(self, txid: int, row_id: int, limit: int) -> list[OutboxEvent]:
        stmt = sa.select(OutboxEvent).where(
            sa.tuple_(OutboxEvent.txid, OutboxEvent.id) > sa.tuple_(txid, row_id)
        )
        horizon = outbox_horizon(self.session)
        if horizon is not None:
            stmt = stmt.where(OutboxEvent.txid < horizon)
        stmt = stmt.order_by(OutboxEvent.txid, OutboxEvent.id).limit(limit)
        return list(self.session.scalars(stmt))

    def events_since(self, since: datetime, upto: tuple[int, int]) -> list[OutboxEvent]:
        stmt = (
            sa.select(OutboxEvent)
            .where(
                OutboxEvent.occurred_at >= since,
                sa.tuple_(OutboxEvent.txid, OutboxEvent.id) <= sa.tuple_(*upto),
            )
            .order_by(OutboxEvent.txid, OutboxEvent.id)
        )
        return list(self.session.scalars(stmt))


class DeliveryRepository(Repository[WebhookDelivery]):
    model = WebhookDelivery
    missing = ("No such delivery", "delivery_not_found")
    keys = DELIVERY_KEYS
    tag = "deliveries"

    def page(self, endpoint_id: uuid.UUID, status: str | None, *, limit: int, cursor: str | None):  # type: ignore[no-untyped-def]
        stmt = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status is not None:
            stmt = stmt.where(WebhookDelivery.status == status)
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)

    def last_latencies(self, ids: list[int]) -> dict[int, int]:
        if not ids:
            return {}
        latest = (
            sa.select(WebhookAttempt.delivery_id, sa.func.max(WebhookAttempt.id).label("last"))
            .where(WebhookAttempt.delivery_id.in_(ids))
            .group_by(WebhookAttempt.delivery_id)
            .subquery()
        )
        stmt = sa.select(WebhookAttempt.delivery_id, WebhookAttempt.latency_ms).join(
            latest, WebhookAttempt.id == latest.c.last
        )
        return {int(d): int(ms) for d, ms in self.session.execute(stmt)}

    def of_event(
        self, endpoint_id: uuid.UUID, event_id: uuid.UUID, *, for_update: bool = False
    ) -> WebhookDelivery | None:
        stmt = sa.select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.event_id == event_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def attempts_of(self, delivery_id: int) -> list[WebhookAttempt]:
        stmt = sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
        return list(self.session.scalars(stmt.order_by(WebhookAttempt.id)))

    def claim(
        self, now: datetime, limit: int, lease_until: datetime, token: uuid.UUID
    ) -> list[WebhookDelivery]:
        """Up to ``limit`` due deliveries, each the earliest open one of its resource at its
        endpoint, leased to the caller (``token``). A delivery whose
        worker died comes due again when its lease runs out."""
        d, e = WebhookDelivery, orm.aliased(WebhookDelivery)
        earlier_open = sa.exists().where(
            e.endpoint_id == d.endpoint_id,
            e.entity_key == d.entity_key,
            e.id < d.id,
            e.status.in_(OPEN),
        )
        due = sa.or_(
            sa.and_(d.status == "pending", d.next_attempt_at <= now),
            sa.and_(d.status == "delivering", d.lease_until < now),
        )
        active = sa.select(WebhookEndpoint.id).where(WebhookEndpoint.status == "active")
        pick = (
            sa.select(d.id)
            .where(due, ~earlier_open, d.endpoint_id.in_(active))
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=d)
        )
        ids = list(self.session.scalars(pick))
        if not ids:
            return []
        lease = (
            sa.update(d)
            .where(d.id.in_(ids))
            .values(status="delivering", lease_token=token, lease_until=lease_until)
            .returning(d)
        )
        rows = self.session.scalars(lease, execution_options={"synchronize_session": False})
        return sorted(rows, key=lambda r: r.id or 0)

    def endpoints_of(self, rows: list[WebhookDelivery]) -> dict[uuid.UUID, WebhookEndpoint]:
        ids = {r.endpoint_id for r in rows}
        stmt = sa.select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids))
        return {e.id: e for e in self.session.scalars(stmt)} if ids else {}

    def events_of(self, rows: list[WebhookDelivery]) -> dict[int, OutboxEvent]:
        ids = {r.event_row for r in rows}
        stmt = sa.select(OutboxEvent).where(OutboxEvent.id.in_(ids))
        return {e.id: e for e in self.session.scalars(stmt)} if ids else {}  # type: ignore[misc]

    def leased(self, ids: list[int], token: uuid.UUID) -> list[WebhookDelivery]:
        """Those of ``ids`` whose lease is still the caller's (locked)."""
        stmt = (
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.lease_token == token)
            .order_by(WebhookDelivery.id)
            .with_for_update()
        )
        return list(self.session.scalars(stmt))


def purge_before(session: Session, cutoff: datetime, limit: int) -> tuple[int, int]:
    """Events older than ``cutoff`` and the finished deliveries (with their attempts) made
    before it, at most ``limit`` of each: (events, deliveries) removed."""
    done = (
        sa.select(WebhookDelivery.id)
        .where(
            WebhookDelivery.created_at < cutoff, WebhookDelivery.status.in_(("succeeded", "dead"))
        )
        .limit(limit)
    )
    ids = list(session.scalars(done))
    if ids:
        session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
        session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
    old = sa.select(OutboxEvent.id).where(OutboxEvent.occurred_at < cutoff).limit(limit)
    event_ids = list(session.scalars(old))
    if event_ids:
        session.execute(sa.delete(OutboxEvent).where(OutboxEvent.id.in_(event_ids)))
    return len(event_ids), len(ids)


def backlog(session: Session) -> tuple[datetime | None, datetime | None, int]:
    """What the worker has yet to do, in one statement for ``/metrics``: (when the oldest
    event no active endpoint has fanned out yet occurred, when the oldest event with an open
    delivery occurred, how many deliveries are open). The first is the event just past the
    furthest-behind cursor (the outbox's (txid, id) index); the others read the open
    deliveries by the status index and their events by primary key."""
    behind = (
        sa.select(WebhookEndpoint.cursor_txid, WebhookEndpoint.cursor_row)
        .where(WebhookEndpoint.status == "active", WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.cursor_txid, WebhookEndpoint.cursor_row)
        .limit(1)
        .subquery()
    )
    unfanned = (
        sa.select(OutboxEvent.occurred_at)
        .join(behind, sa.true())
        .where(
            sa.tuple_(OutboxEvent.txid, OutboxEvent.id)
            > sa.tuple_(behind.c.cursor_txid, behind.c.cursor_row)
        )
        .order_by(OutboxEvent.txid, OutboxEvent.id)
        .limit(1)
    )
    d = WebhookDelivery
    open_ = d.status.in_(OPEN)
    undelivered = (
        sa.select(sa.func.min(OutboxEvent.occurred_at))
        .join(d, OutboxEvent.id == d.event_row)
        .where(open_)
    )
    pending = sa.select(sa.func.count()).select_from(d).where(open_)
    row = session.execute(
        sa.select(
            unfanned.scalar_subquery(), undelivered.scalar_subquery(), pending.scalar_subquery()
        )
    ).one()
    return row[0], row[1], int(row[2] or 0)
