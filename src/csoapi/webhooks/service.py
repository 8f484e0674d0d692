"""Webhook subscriptions of a machine client: register (secret shown once), list, read,
delete, rotate the secret, the deliveries and their attempts, redelivery and recovery.

A client sees only its own endpoints: another client's endpoint is a 404."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Forbidden, NotFound, Unprocessable
from csoapi.core.events import OutboxEvent
from csoapi.core.models import utcnow
from csoapi.core.mutation import Changes, Entity
from csoapi.webhooks import signing, targets
from csoapi.webhooks.matching import receives
from csoapi.webhooks.models import WebhookDelivery, WebhookEndpoint
from csoapi.webhooks.repository import DeliveryRepository, EndpointRepository
from csoapi.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookRead, WebhookWithSecret

ENDPOINT: Entity[WebhookEndpoint] = Entity("webhook_endpoint")


def check_target(url: str, ctx: RequestContext, resolver: targets.Resolver | None = None) -> None:
    settings = ctx.settings
    try:
        targets.resolve(
            url,
            allow_private=settings.webhook_allow_private,
            https_only=settings.env == "production",
            resolver=resolver or targets.system_resolver,
        )
    except targets.TargetRefused as refused:
        raise Unprocessable(refused.detail, code=refused.code) from None


class WebhookService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.endpoints = EndpointRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.changes = Changes(
            session, ctx, ENDPOINT, lock=lambda key: self.get(key, for_update=True)
        )

    @property
    def _client_id(self) -> uuid.UUID:
        actor = self.ctx.actor
        if actor.is_user:
            raise Forbidden("Webhooks belong to machine clients", code="clients_only")
        return actor.id

    def get(self, pk: uuid.UUID, *, for_update: bool = False) -> WebhookEndpoint:
        row = self.endpoints.owned(pk, self._client_id, for_update=for_update)
        if row is None:
            raise NotFound("No such webhook", code="webhook_not_found")
        return row

    def read(self, pk: uuid.UUID) -> WebhookEndpoint:
        row = self.get(pk)
        audit.record(self.session, self.ctx, "webhook.read", entity_type="webhook", entity_id=pk)
        return row

    def create(self, data: WebhookCreate) -> WebhookWithSecret:
        client_id = self._client_id
        check_target(data.url, self.ctx)
        txid, row = self.endpoints.log_end()
        secret = signing.new_secret()
        endpoint = self.endpoints.add(
            WebhookEndpoint(
                client_id=client_id,
                url=data.url,
                description=data.description,
                event_types=sorted(set(data.event_types)),
                secret=secret,
                cursor_txid=txid,
                cursor_row=row,
            )
        )
        audit.record(
            self.session,
            self.ctx,
            "webhook.create",
            entity_type="webhook_endpoint",
            entity_id=endpoint.id,
            detail={"url": endpoint.url, "event_types": endpoint.event_types},
        )
        return _with_secret(endpoint, secret)

    def delete(self, pk: uuid.UUID, if_match: str | None) -> None:
        change = self.changes.begin(pk, if_match)
        endpoint = change.row
        endpoint.deleted_at = endpoint.disabled_at = utcnow()
        endpoint.status, endpoint.disabled_reason = "disabled", "deleted by its client"
        change.done("webhook.delete")

    def rotate(self, pk: uuid.UUID, if_match: str | None) -> WebhookWithSecret:
        change = self.changes.begin(pk, if_match)
        endpoint = change.row
        grace = timedelta(hours=self.ctx.settings.webhook_secret_grace_hours)
        secret = signing.new_secret()
        endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
        endpoint.previous_secret_until = utcnow() + grace
        change.done("webhook.rotate_secret")
        return _with_secret(endpoint, secret)

    def page(self, *, limit: int, cursor: str | None) -> tuple[list[WebhookEndpoint], str | None]:
        rows, nxt = self.endpoints.page(self._client_id, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "webhook.list",
            entity_type="webhook_endpoint",
            filters={"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    # -- deliveries ---------------------------------------------------------------------------
    def delivery_page(
        self, pk: uuid.UUID, status: str | None, *, limit: int, cursor: str | None
    ) -> tuple[list[DeliveryRead], str | None]:
        endpoint = self.get(pk)
        rows, nxt = self.deliveries.page(endpoint.id, status, limit=limit, cursor=cursor)
        latencies = self.deliveries.last_latencies([r.id for r in rows])
        audit.record_list(
            self.session,
            self.ctx,
            "webhook.delivery_list",
            entity_type="webhook_delivery",
            filters={"webhook": str(pk), "status": status, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return [delivery_view(r, latencies.get(r.id or 0)) for r in rows], nxt

    def delivery(self, pk: uuid.UUID, event_id: uuid.UUID, *, for_update: bool = False):  # type: ignore[no-untyped-def]
        endpoint = self.get(pk)
        row = self.deliveries.of_event(endpoint.id, event_id, for_update=for_update)
        if row is None:
            raise NotFound("No such delivery", code="delivery_not_found")
        return row

    def attempts(self, pk: uuid.UUID, event_id: uuid.UUID):  # type: ignore[no-untyped-def]
        row = self.delivery(pk, event_id)
        return row, self.deliveries.attempts_of(row.id)

    def redeliver(self, pk: uuid.UUID, event_id: uuid.UUID) -> WebhookDelivery:
        row = self.delivery(pk, event_id, for_update=True)
        if row.status == "delivering":
            return row  # under way now: its outcome stands
        _requeue(row, utcnow())
        self.deliveries.flush()
        audit.record(
            self.session,
            self.ctx,
            "webhook.redeliver",
            entity_type="webhook_delivery",
            entity_id=row.id,
            detail={"webhook": str(pk), "event_id": str(row.event_id)},
        )
        return row

    def recover(self, pk: uuid.UUID, since: datetime) -> int:
        """Every event since ``since`` (up to where fan-out has reached) this endpoint would
        receive, queued again: delivered ones resent, missing ones added."""
        endpoint = self.get(pk, for_update=True)
        if since < utcnow() - timedelta(days=self.ctx.settings.event_retention_days):
            raise Unprocessable(
                "Events are kept for "
                f"{self.ctx.settings.event_retention_days} days; 'since' is older",
                code="beyond_retention",
            )
        scopes = self.ctx.actor.scopes
        now, count = utcnow(), 0
        upto = (endpoint.cursor_txid, endpoint.cursor_row)
        for event in self.endpoints.events_since(since, upto):
            if not receives(endpoint.event_types, scopes, event.type, event.read_scope):
                continue
            existing = self.deliveries.of_event(endpoint.id, event.event_id)
            if existing is None:
                self.deliveries.add(new_delivery(endpoint.id, event, now), flush=False)
            elif existing.status in {"succeeded", "dead"}:
                _requeue(existing, now)
            else:
                continue
            count += 1
        self.deliveries.flush()
        audit.record(
            self.session,
            self.ctx,
            "webhook.recover",
            entity_type="webhook_endpoint",
            entity_id=pk,
            detail={"since": since.isoformat(), "requeued": count},
        )
        return count


def new_delivery(endpoint_id: uuid.UUID, event: OutboxEvent, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=endpoint_id,
        event_id=event.event_id,
        event_row=event.id or 0,
        event_type=event.type,
        entity_key=f"{event.entity_type}:{event.entity_id}"[:100],
        next_attempt_at=now,
    )


def _requeue(row: WebhookDelivery, now: datetime) -> None:
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    row.lease_token = row.lease_until = None


def delivery_view(row: WebhookDelivery, latency: int | None) -> DeliveryRead:
    waiting = row.status == "pending"
    return DeliveryRead(
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if waiting else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        last_latency_ms=latency,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret(
        **WebhookRead.model_validate(endpoint).model_dump(),
        secret=secret,
        previous_secret_valid_until=endpoint.previous_secret_until,
    )
