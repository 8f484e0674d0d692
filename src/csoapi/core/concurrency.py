"""ETag / If-Match: optimistic concurrency on every mutable resource.

A resource's ETag is its ``version`` (strong). ``PATCH`` requires ``If-Match`` (428 without,
412 when stale); state-transition POSTs check it when given. Services compare versions on a
row they have locked (``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on SQLite), so
two writers holding the same ETag can never both apply.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from csoapi.core.errors import PreconditionFailed, PreconditionRequired

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=512,
        description="The resource's current ETag; required for PATCH, optional for transitions",
    ),
]


IfMatchRequired = Annotated[
    str,
    Header(
        alias="If-Match",
        max_length=512,
        description="The resource's current ETag (428 without it, 412 when stale)",
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int, *, required: bool) -> None:
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired(
                "This change needs an If-Match header with the resource's ETag",
                code="if_match_required",
            )
        return
    value = if_match.strip()
    if value == "*":
        return
    # Weak tags never match under If-Match (RFC 9110 strong comparison).
    tags = [t.strip() for t in value.split(",")]
    if etag(version) not in tags:
        raise PreconditionFailed(
            f"The resource has changed (current ETag {etag(version)}); read it again and retry",
            code="etag_mismatch",
            current_etag=etag(version),
        )
