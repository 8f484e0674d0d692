"""The CSO's search: ``category`` (AND of several), ``q`` (name, alternate name,
description), ``open_at`` (a moment, evaluated on the schedules in the agency's time zone,
daylight saving time included) and ``near`` + ``radius_km`` (nearest first).

Without ``near`` the listing is a keyset page by (name, id). With it, the services with a
location inside the box around the point are read (one indexed range scan), their exact
great-circle distances computed, and the page is the next ``limit`` by (metres, id): a
cursor holds the last (metres, id), so a deep page costs what the first one does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from csoapi.core.errors import Unprocessable
from csoapi.core.pagination import SortKey, decode_cursor, encode_cursor
from csoapi.directory import geo
from csoapi.directory.repository import DirectoryRepository
from csoapi.directory.schemas import Category, ServiceRead
from csoapi.directory.views import service_read
from csoapi.directory.writer import category_term_id

NEAR_TAG = "services-near"
NEAR_KEYS = (SortKey(None, "int", lambda r: r[0]), SortKey(None, "uuid", lambda r: r[1]))
DEFAULT_RADIUS_KM = 10.0


@dataclass(frozen=True)
class Query:
    categories: tuple[Category, ...] = ()
    q: str | None = None
    open_at: datetime | None = None
    near: str | None = None
    radius_km: float | None = None
    status: str | None = "active"


def search(
    repo: DirectoryRepository, tz: ZoneInfo, query: Query, *, limit: int, cursor: str | None
) -> tuple[list[ServiceRead], str | None]:
    moment = geo.local_moment(query.open_at, tz) if query.open_at is not None else None
    stmt = repo.filtered(
        status=query.status,
        term_codes=tuple(category_term_id(c) for c in query.categories),
        q=query.q,
        open_at=moment,
    )
    opened = {"open_at": True} if moment is not None else {}
    if query.near is None:
        if query.radius_km is not None:
            raise Unprocessable("radius_km needs near", code="radius_without_near")
        rows, nxt = repo.page_of(stmt, limit=limit, cursor=cursor)
        bundle = repo.bundle(rows)
        return [service_read(r, bundle, **opened) for r in rows], nxt
    try:
        lat, lon = geo.parse_point(query.near)
    except ValueError as exc:
        raise Unprocessable(str(exc), code="invalid_near") from None
    radius = query.radius_km or DEFAULT_RADIUS_KM
    nearest: dict[uuid.UUID, int] = {}
    for service_id, slat, slon in repo.located_in(stmt, geo.box_around(lat, lon, radius)):
        metres = round(geo.haversine_km(lat, lon, slat, slon) * 1000)
        if metres <= radius * 1000 and metres < nearest.get(service_id, 1 << 62):
            nearest[service_id] = metres
    ranked = sorted((m, sid) for sid, m in nearest.items())
    if cursor:
        after = tuple(decode_cursor(NEAR_TAG, NEAR_KEYS, cursor))
        ranked = [r for r in ranked if r > after]
    page, more = ranked[:limit], len(ranked) > limit
    rows = repo.services([sid for _, sid in page])
    ordered = [rows[sid] for _, sid in page]
    bundle = repo.bundle(ordered)
    items = [
        service_read(r, bundle, distance_km=round(m / 1000, 3), **opened)
        for (m, _), r in zip(page, ordered, strict=True)
    ]
    nxt = encode_cursor(NEAR_TAG, NEAR_KEYS, page[-1]) if more else None
    return items, nxt
