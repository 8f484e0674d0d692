"""The event catalogue in the OpenAPI document: each event type a feature appends, under
``webhooks``, with its delivery's headers and body ``{type, timestamp, data}``."""
# No "from __future__ import annotations": the operations' annotations are built here, and
# FastAPI reads them as objects.

from datetime import datetime
from typing import Annotated, Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, create_model

from csoapi.core.event_types import EventType
from csoapi.features import event_catalogue

SIGNING = (
    "Signed per Standard Webhooks 1.0: `webhook-signature` holds `v1,<base64 HMAC-SHA256>` of "
    "`webhook-id.webhook-timestamp.body` for each valid secret, space-separated. "
    "`webhook-id` is the event's id in `GET /api/v1/events` and `csoapi-event-position` its "
    "position there: a consumer may switch between push and pull at any event."
)


def _envelope(event: EventType) -> type[BaseModel]:
    name = "".join(p.capitalize() for p in event.name.replace(".", "_").split("_")) + "Event"
    return create_model(
        name,
        type=(Literal[event.name], ...),  # type: ignore[valid-type]
        timestamp=(datetime, ...),
        data=(event.data, ...),
    )


def _operation(event: EventType) -> None:
    envelope = _envelope(event)

    def receive(
        body: envelope,  # type: ignore[valid-type]
        webhook_id: Annotated[str, Header(alias="webhook-id", max_length=64)],
        webhook_timestamp: Annotated[str, Header(alias="webhook-timestamp", max_length=20)],
        webhook_signature: Annotated[str, Header(alias="webhook-signature", max_length=512)],
        position: Annotated[str, Header(alias="csoapi-event-position", max_length=64)],
    ) -> None:
        """Documented only: the subscriber's server receives this."""

    receive.__name__ = event.name.replace(".", "_")
    return receive  # type: ignore[return-value]


def _readers(event: EventType) -> str:
    scopes = " or ".join(f"`{s}`" for s in event.scopes)
    which = " (by the kind of record it is about)" if len(event.scopes) > 1 else ""
    return f"Sent to subscribers whose client holds {scopes}{which}. "


def describe_events(app: FastAPI) -> None:
    for event in sorted(event_catalogue().values(), key=lambda e: e.name):
        app.webhooks.add_api_route(
            event.name,
            _operation(event),  # type: ignore[arg-type]
            methods=["POST"],
            summary=event.summary,
            description=f"Sent to subscribers whose client holds `{event.read_scope}`. " + SIGNING,
            operation_id=f"event_{event.name.replace('.', '_')}",
            status_code=204,
            responses={204: {"description": "Any 2xx: received"}},
        )
