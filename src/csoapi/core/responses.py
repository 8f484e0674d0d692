"""Building a success response: JSON body, ETag, Location, and the idempotency record."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

from csoapi.core.concurrency import etag
from csoapi.core.idempotency import Idempotency, stored_headers


def respond(
    model: BaseModel,
    *,
    status_code: int = 200,
    version: int | None = None,
    location: str | None = None,
    idem: Idempotency | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = model.model_dump_json()
    out: dict[str, Any] = dict(headers or {})
    if version is not None:
        out["ETag"] = etag(version)
    if location is not None:
        out["Location"] = location
    if idem is not None:
        idem.complete(status_code, body, stored_headers(out | {"content-type": "application/json"}))
    return Response(body, status_code=status_code, headers=out, media_type="application/json")
