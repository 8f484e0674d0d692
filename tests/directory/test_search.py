"""The CSO's search: GET /api/v1/services?category=&q=&open_at=&near=&radius_km=."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csoapi.directory import geo
from tests.directory.helpers import Directory, location
from tests.factories import assert_problem, headers_for

EVERY_DAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Agency time zone: America/Los_Angeles (the default). DST began Sunday 2026-03-08.
BEFORE_DST_FRI_0830 = "2026-03-06T16:30:00Z"  # 08:30 PST
AFTER_DST_MON_0930 = "2026-03-09T16:30:00Z"  # 09:30 PDT: the same UTC time of day
AFTER_DST_SAT_1000 = "2026-03-14T17:00:00Z"


async def _names(client, h, **params) -> list[str]:
    r = await client.get("/api/v1/services", params=params, headers=h)
    assert r.status_code == 200, r.text
    return [s["name"] for s in r.json()["items"]]


async def test_open_at_reads_schedules_on_the_agency_clock_across_dst(client, db, settings):
    d = Directory(client, db, settings)
    org = await d.org()
    await d.service(org["id"], "Day centre")  # MO-FR 09:00-17:00
    await d.service(
        org["id"],
        "Overnight shelter",
        schedules=[{"byday": EVERY_DAY, "opens_at": "19:00:00", "closes_at": "07:00:00"}],
    )
    await d.service(
        org["id"],
        "Winter respite",
        schedules=[
            {"byday": EVERY_DAY, "opens_at": "00:00:00", "closes_at": "23:59:59",
             "valid_to": "2026-02-28"}
        ],
    )  # fmt: skip
    h = headers_for(db, settings, "cso")
    assert await _names(client, h, open_at=BEFORE_DST_FRI_0830) == []
    assert await _names(client, h, open_at=AFTER_DST_MON_0930) == ["Day centre"]
    assert await _names(client, h, open_at=AFTER_DST_SAT_1000) == []
    # 06:00 PDT on Tuesday: Monday's 19:00 opening runs past midnight.
    assert await _names(client, h, open_at="2026-03-10T13:00:00Z") == ["Overnight shelter"]
    assert await _names(client, h, open_at="2026-03-10T15:00:00Z") == []
    # 20:00 PST on 2026-02-27 (a Friday): the respite is still valid, the shelter open.
    both = await _names(client, h, open_at="2026-02-28T04:00:00Z")
    assert both == ["Overnight shelter", "Winter respite"]
    # An offset other than UTC is the same moment.
    assert await _names(client, h, open_at="2026-03-09T09:30:00-07:00") == ["Day centre"]
    r = await client.get("/api/v1/services", params={"open_at": AFTER_DST_MON_0930}, headers=h)
    assert r.json()["items"][0]["open_at"] is True
    bad = await client.get("/api/v1/services", params={"open_at": "2026-03-09T09:30"}, headers=h)
    assert_problem(bad, 422)


async def test_category_and_text_filters_combine(client, db, settings):
    d = Directory(client, db, settings)
    org = await d.org()
    await d.service(org["id"], "Night shelter")  # shelter
    await d.service(org["id"], "Family shelter", categories=["shelter", "youth"])
    await d.service(org["id"], "Food bank", categories=["food"], description="Groceries")
    await d.service(org["id"], "Closed pantry", categories=["food"], status="inactive")
    h = headers_for(db, settings, "cso")
    assert await _names(client, h, category="shelter") == ["Family shelter", "Night shelter"]
    assert await _names(client, h, category=["shelter", "youth"]) == ["Family shelter"]
    assert await _names(client, h, q="GROCER") == ["Food bank"]
    assert await _names(client, h, category="food", q="shelter") == []
    assert await _names(client, h, q="100%_") == []
    r = await client.get("/api/v1/services", params={"category": "parking"}, headers=h)
    assert_problem(r, 422)


async def test_near_is_nearest_first_within_the_radius_and_pages(client, db, settings):
    d = Directory(client, db, settings)
    org = await d.org()
    here = (37.7793, -122.4193)  # San Francisco City Hall
    spots = {
        "Two km": (37.7613, -122.4193),
        "Half km": (37.7748, -122.4193),
        "Five km": (37.7343, -122.4193),
        "Oakland": (37.8044, -122.2712),
    }
    for name, (lat, lon) in spots.items():
        await d.service(org["id"], name, locations=[location(lat, lon)])
    await d.service(org["id"], "Nowhere", locations=[])
    h = headers_for(db, settings, "cso")
    near = f"{here[0]},{here[1]}"
    r = await client.get("/api/v1/services", params={"near": near, "radius_km": 6}, headers=h)
    items = r.json()["items"]
    assert [i["name"] for i in items] == ["Half km", "Two km", "Five km"]
    assert items[0]["distance_km"] == pytest.approx(0.5, abs=0.01)
    assert items[2]["distance_km"] == pytest.approx(5.0, abs=0.02)
    seen, cursor = [], None
    while True:
        params = {"near": near, "radius_km": 20, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/api/v1/services", params=params, headers=h)).json()
        seen += [i["name"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Half km", "Two km", "Five km", "Oakland"]
    # Default radius 10 km; combined with open_at and category.
    assert await _names(client, h, near=near) == ["Half km", "Two km", "Five km"]
    assert await _names(client, h, near=near, open_at=AFTER_DST_SAT_1000) == []
    assert await _names(client, h, near=near, category="food") == []
    for params in ({"near": "91,0"}, {"near": "abc"}, {"radius_km": 5}, {"near": near,
                   "radius_km": 0}, {"near": near, "cursor": "bad!"}):  # fmt: skip
        assert_problem(await client.get("/api/v1/services", params=params, headers=h), 422)


async def test_search_is_audited_once_per_listing(client, db, settings):
    from sqlmodel import select

    from csoapi.core.audit import AuditEvent

    d = Directory(client, db, settings)
    org = await d.org()
    await d.service(org["id"])
    h = headers_for(db, settings, "cso")
    await _names(client, h, category="shelter", q="night")
    (row,) = db.exec(select(AuditEvent).where(AuditEvent.action == "service.search")).all()
    assert row.detail == {"filters": {"category": ["shelter"], "q": "night", "limit": 50},
                          "count": 1}  # fmt: skip


@given(
    st.floats(-89, 89), st.floats(-179, 179), st.floats(0.1, 100), st.floats(0, 1), st.floats(0, 1)
)
def test_the_box_holds_every_point_within_the_radius(lat, lon, radius, f, g):
    box = geo.box_around(lat, lon, radius)
    # A point on the circle of the radius, at bearing 2*pi*f, scaled by g.
    import math

    d = radius * g / geo.EARTH_RADIUS_KM
    theta = 2 * math.pi * f
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(theta))
    l2 = l1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    plat, plon = math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180
    assert geo.haversine_km(lat, lon, plat, plon) <= radius * 1.0001 + 1e-9
    assert box.south - 1e-9 <= plat <= box.north + 1e-9
    assert box.west - 1e-9 <= plon <= box.east + 1e-9
