"""Which events an endpoint receives: its event-type filter and its client's scopes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from csoapi.core.clock import to_utc


def wants(filters: Iterable[str], event_type: str) -> bool:
    """``[]`` or ``*``: every type; ``call.*``: every ``call.`` type; else the exact type."""
    filters = list(filters)
    if not filters:
        return True
    for f in filters:
        if f == "*" or f == event_type or (f.endswith(".*") and event_type.startswith(f[:-1])):
            return True
    return False


def receives(
    filters: Iterable[str], scopes: frozenset[str], event_type: str, read_scope: str
) -> bool:
    return read_scope in scopes and wants(filters, event_type)


def body(event_type: str, occurred_at: datetime, payload: dict[str, Any]) -> bytes:
    """The delivery body, ``{type, timestamp, data}``, as the exact bytes signed and sent
    (the same bytes on every attempt)."""
    stamp = to_utc(occurred_at).isoformat().replace("+00:00", "Z")
    doc = {"type": event_type, "timestamp": stamp, "data": payload}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, default=str).encode()
