"""Pure rules of the search: distances on the Earth, the box around a point, and a moment
on the agency's wall clock (daylight saving time included, by the IANA zone)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from csoapi.directory.repository import Box, LocalMoment

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def box_around(lat: float, lon: float, radius_km: float) -> Box:
    """A latitude/longitude box holding every point within ``radius_km`` of (lat, lon)."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos = math.cos(math.radians(lat))
    if abs(lat) + dlat >= 90 or cos < 1e-6:
        return Box(max(-90.0, lat - dlat), min(90.0, lat + dlat), -180.0, 180.0)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * cos))
    if dlon >= 180 or lon - dlon < -180 or lon + dlon > 180:
        return Box(lat - dlat, lat + dlat, -180.0, 180.0)
    return Box(lat - dlat, lat + dlat, lon - dlon, lon + dlon)


def local_moment(at: datetime, tz: ZoneInfo) -> LocalMoment:
    """``at`` (aware) as the agency's wall clock shows it."""
    local = at.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    return LocalMoment(
        day=local.date(),
        weekday=WEEKDAYS[local.weekday()],
        yesterday=WEEKDAYS[(local - timedelta(days=1)).weekday()],
        at=wall,
    )


def parse_point(text: str) -> tuple[float, float]:
    """``"lat,lon"`` in degrees, or ``ValueError``."""
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError("near must be 'latitude,longitude'")
    lat, lon = (float(p.strip()) for p in parts)
    if (
        not (math.isfinite(lat) and math.isfinite(lon))
        or not (-90 <= lat <= 90)
        or not (-180 <= lon <= 180)
    ):
        raise ValueError("near is not a point on the Earth")
    return lat, lon
