"""The chain of custody as hashes: each event's ``hash`` is SHA-256 over the RFC 8785
(JSON Canonicalization Scheme) serialization of the event's fields together with
``prev_hash``, the hash of the event before it (64 zeros before the first). Anyone holding
the events can recompute every link without our code: the fields are plain JSON (ids as
lower-case UUID strings, times as RFC 3339 UTC with microseconds, absent values as null).

Pure functions only: the one writer of custody rows is ``evidence.custody``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

GENESIS = "0" * 64
FIELDS = (
    "item_id",
    "seq",
    "action",
    "at",
    "recorded_at",
    "actor_id",
    "from_holder_id",
    "to_holder_id",
    "from_location_id",
    "to_location_id",
    "to_party",
    "reason",
    "detail",
    "prev_hash",
)


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if value is None or isinstance(value, str | int | bool | dict | list):
        return value
    return str(value)  # UUIDs


def document(event: Any) -> dict[str, Any]:
    """The JSON object an event's hash covers (from a row or anything with the fields)."""
    return {name: plain(getattr(event, name)) for name in FIELDS}


def canonical(event: Any) -> bytes:
    return rfc8785.dumps(document(event))


def digest(event: Any) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    events: int
    head: str | None
    broken_at: int | None = None
    why: str | None = None


def verify(events: Iterable[Any], *, expected_seq: int | None = None) -> Verdict:
    """Walk ``events`` in ``seq`` order: each must follow the one before (seq + 1, its
    ``prev_hash``) and hash to its own ``hash``. ``expected_seq``: the last seq the item
    says it has (a missing tail is broken at the first seq that is gone)."""
    prev, seq, count = GENESIS, 0, 0
    for event in events:
        count += 1
        if event.seq != seq + 1:
            return Verdict(False, count, None, seq + 1, "missing or repeated event")
        if event.prev_hash != prev:
            return Verdict(False, count, None, event.seq, "prev_hash does not link")
        if digest(event) != event.hash:
            return Verdict(False, count, None, event.seq, "hash does not match the event")
        prev, seq = event.hash, event.seq
    if expected_seq is not None and seq != expected_seq:
        return Verdict(False, count, None, min(seq, expected_seq) + 1, "chain length differs")
    return Verdict(True, count, prev if count else None)
