"""/api/v1/webhooks — a machine client's Standard Webhooks subscriptions and deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from csoapi.core.carrier import Reply, carrier, ok
from csoapi.core.concurrency import IfMatchHeader
from csoapi.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from csoapi.core.problems import error_responses
from csoapi.webhooks.schemas import (
    DeliveryRead,
    RecoverBody,
    Recovered,
    WebhookCreate,
    WebhookRead,
    WebhookWithSecret,
)
from csoapi.webhooks.service import WebhookService, delivery_view

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
Subscriber = carrier(WebhookService, "webhooks:write")
E = (401, 403, 422)
NO_STORE = {"Cache-Control": "no-store"}
Status = Literal["pending", "delivering", "succeeded", "dead"]


class AttemptRead(BaseModel):
    attempted_at: str
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryDetail(DeliveryRead):
    attempt_log: list[AttemptRead]


# No Idempotency-Key on creation or rotation: a replayable response would keep the secret.
@router.post(
    "",
    operation_id="webhooks_create",
    status_code=201,
    response_model=WebhookWithSecret,
    summary="Subscribe an endpoint; the signing secret (whsec_…) is returned once",
    description="The URL must resolve to public addresses only (checked again at every "
    "delivery) unless the server sets CSOAPI_WEBHOOK_ALLOW_PRIVATE. Deliveries start with "
    "the events written after this call; use /recover for earlier ones.",
    responses=error_responses(*E),
)
async def create_webhook(body: WebhookCreate, unit: Subscriber) -> Response:
    def work(svc: WebhookService) -> Reply:
        made = svc.create(body)
        return Reply(made, 201, made.version, f"/api/v1/webhooks/{made.id}", NO_STORE)

    return await unit.run(work)


@router.get(
    "",
    operation_id="webhooks_list",
    description="The endpoints the calling client registered (a client sees only its own), with "
    "status and event types.",
    summary="The calling client's endpoints",
    response_model=Page[WebhookRead],
    responses=error_responses(*E),
)
async def list_webhooks(
    unit: Subscriber, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Response:
    def work(svc: WebhookService) -> Page[WebhookRead]:
        rows, nxt = svc.page(limit=limit, cursor=cursor)
        return Page[WebhookRead](
            items=[WebhookRead.model_validate(r) for r in rows], next_cursor=nxt
        )

    return await unit.run(work)


@router.get(
    "/{webhook_id:uuid}",
    operation_id="webhooks_get",
    description="One of the calling client's endpoints: URL, event types, status, and why it "
    "was disabled (a 410 from the target, or failures past the last retry). Another "
    "client's is a 404.",
    summary="One endpoint (status, why it was disabled)",
    response_model=WebhookRead,
    responses=error_responses(*E, 404),
)
async def get_webhook(webhook_id: uuid.UUID, unit: Subscriber) -> Response:
    def work(svc: WebhookService) -> Reply:
        row = svc.read(webhook_id)
        return ok(WebhookRead.model_validate(row), version=row.version)

    return await unit.run(work)


@router.delete(
    "/{webhook_id:uuid}",
    operation_id="webhooks_delete",
    description="Unsubscribes: nothing more is delivered to the endpoint.",
    status_code=204,
    summary="Unsubscribe: nothing more is delivered",
    responses=error_responses(*E, 404, 412),
)
async def delete_webhook(
    webhook_id: uuid.UUID, unit: Subscriber, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: WebhookService) -> Response:
        svc.delete(webhook_id, if_match)
        return Response(status_code=204)

    return await unit.run(work)


@router.post(
    "/{webhook_id:uuid}/rotate-secret",
    operation_id="webhooks_rotate_secret",
    description="Returns a new `secret` once. For `CSOAPI_WEBHOOK_SECRET_GRACE_HOURS` "
    "deliveries are signed with both secrets (two signatures in "
    "`webhook-signature`), so the receiver can switch without dropping any.",
    response_model=WebhookWithSecret,
    summary="A new secret, returned once; the old one stays valid for the grace period "
    "(both signatures are sent)",
    responses=error_responses(*E, 404, 412),
)
async def rotate_secret(
    webhook_id: uuid.UUID, unit: Subscriber, if_match: IfMatchHeader = None
) -> Response:
    def work(svc: WebhookService) -> Reply:
        made = svc.rotate(webhook_id, if_match)
        return Reply(made, 200, made.version, None, NO_STORE)

    return await unit.run(work)


@router.get(
    "/{webhook_id:uuid}/deliveries",
    operation_id="webhooks_deliveries",
    description="Keyset-paged, newest first: each event's delivery with its status, attempts, "
    "next try and last latency.",
    summary="Deliveries, newest first: attempts, status, the last latency",
    response_model=Page[DeliveryRead],
    responses=error_responses(*E, 404),
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    unit: Subscriber,
    status: Annotated[Status | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    def work(svc: WebhookService) -> Page[DeliveryRead]:
        items, nxt = svc.delivery_page(webhook_id, status, limit=limit, cursor=cursor)
        return Page[DeliveryRead](items=items, next_cursor=nxt)

    return await unit.run(work)


@router.get(
    "/{webhook_id:uuid}/deliveries/{event_id:uuid}",
    operation_id="webhooks_delivery",
    description="One delivery with every attempt: when, the HTTP status (or the network error), "
    "the latency.",
    summary="One delivery and every attempt of it",
    response_model=DeliveryDetail,
    responses=error_responses(*E, 404),
)
async def get_delivery(webhook_id: uuid.UUID, event_id: uuid.UUID, unit: Subscriber) -> Response:
    def work(svc: WebhookService) -> DeliveryDetail:
        row, attempts = svc.attempts(webhook_id, event_id)
        log = [
            AttemptRead(
                attempted_at=a.attempted_at.isoformat(),
                status_code=a.status_code,
                latency_ms=a.latency_ms,
                error=a.error,
            )
            for a in attempts
        ]
        last = attempts[-1].latency_ms if attempts else None
        return DeliveryDetail(**delivery_view(row, last).model_dump(), attempt_log=log)

    return await unit.run(work)


@router.post(
    "/{webhook_id:uuid}/deliveries/{event_id:uuid}/redeliver",
    operation_id="webhooks_redeliver",
    description="Queues the delivery again now, its retry schedule starting over (a "
    "dead-lettered one included).",
    status_code=202,
    response_model=DeliveryRead,
    summary="Send a delivery again (its retry schedule starts over)",
    responses=error_responses(*E, 404),
)
async def redeliver(webhook_id: uuid.UUID, event_id: uuid.UUID, unit: Subscriber) -> Response:
    def work(svc: WebhookService) -> Reply:
        return Reply(delivery_view(svc.redeliver(webhook_id, event_id), None), 202)

    return await unit.run(work)


@router.post(
    "/{webhook_id:uuid}/recover",
    operation_id="webhooks_recover",
    description="Queues again every event the endpoint subscribes to since `since`, for a "
    "receiver that lost data; within the event retention "
    "(`CSOAPI_EVENT_RETENTION_DAYS`; older is a 422 `beyond_retention`). Deliveries "
    "are at least once: receivers de-duplicate by `webhook-id`.",
    status_code=202,
    response_model=Recovered,
    summary="Queue again every event since a time (within the event retention)",
    responses=error_responses(*E, 404),
)
async def recover(webhook_id: uuid.UUID, body: RecoverBody, unit: Subscriber) -> Response:
    def work(svc: WebhookService) -> Reply:
        return Reply(Recovered(requeued=svc.recover(webhook_id, body.since)), 202)

    return await unit.run(work)
