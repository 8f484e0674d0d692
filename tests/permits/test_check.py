"""``GET /permits/check`` at the edges of zones, vehicles and days (the agency's days, in
its time zone, across both clock changes), and citations in a permit zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from csoapi.core.audit import AuditEvent
from csoapi.permits.rules import span
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem
from tests.permits.helpers import PERMITS, issue, open_zone, staff

LA = ZoneInfo("America/Los_Angeles")


async def covered(client, headers, at: str, zone="A", plate="7ABC123", state="CA") -> bool:
    url = f"{PERMITS}/check?plate={plate}&plate_state={state}&zone={zone}&at={quote(at)}"
    r = await client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["permit_id"] is not None) == body["covered"]
    return body["covered"]


@pytest.fixture
async def permits(client, db, settings):
    assert settings.timezone == "America/Los_Angeles"
    who = staff(db, settings)
    records = who["records"].headers
    await open_zone(client, records)
    await open_zone(client, records, "B")
    # DST began on 2026-03-08 (02:00 PST → 03:00 PDT) and ended on 2026-11-01.
    spring = await issue(client, records, valid_from="2026-03-01", valid_to="2026-03-08")
    fall = await issue(
        client, records, kind="visitor", valid_from="2026-10-25", valid_to="2026-11-01"
    )
    return who, spring, fall


async def test_check_at_day_edges_across_spring_forward(client, permits):
    who, spring, _ = permits
    cso = who["cso"].headers
    assert spring["starts_at"] == "2026-03-01T08:00:00Z"  # local midnight, PST
    assert spring["ends_at"] == "2026-03-09T07:00:00Z"  # the next local midnight, PDT
    assert not await covered(client, cso, "2026-03-01T07:59:59Z")
    assert await covered(client, cso, "2026-03-01T08:00:00Z")
    assert await covered(client, cso, "2026-03-01T00:00:00-08:00")
    assert await covered(client, cso, "2026-03-08T23:59:59-07:00")
    assert await covered(client, cso, "2026-03-09T06:59:59.999Z")
    assert not await covered(client, cso, "2026-03-09T00:00:00-07:00")
    # Reading the last day as if it had no clock change would wrongly cover this hour.
    assert not await covered(client, cso, "2026-03-09T07:30:00Z")


async def test_check_at_day_edges_across_fall_back(client, permits):
    who, _, fall = permits
    cso = who["sergeant"].headers
    assert fall["starts_at"] == "2026-10-25T07:00:00Z"  # PDT
    assert fall["ends_at"] == "2026-11-02T08:00:00Z"  # PST: the last day had 25 hours
    assert not await covered(client, cso, "2026-10-25T06:59:59Z")
    assert await covered(client, cso, "2026-10-25T00:00:00-07:00")
    # 01:30 happened twice on 2026-11-01; both are inside.
    assert await covered(client, cso, "2026-11-01T01:30:00-07:00")
    assert await covered(client, cso, "2026-11-01T01:30:00-08:00")
    assert await covered(client, cso, "2026-11-01T23:59:59-08:00")
    assert await covered(client, cso, "2026-11-02T07:59:59Z")
    assert not await covered(client, cso, "2026-11-02T00:00:00-08:00")


async def test_check_needs_the_same_vehicle_zone_and_a_live_permit(client, db, permits):
    who, spring, _ = permits
    cso, records = who["cso"].headers, who["records"].headers
    at = "2026-03-05T12:00:00-08:00"
    assert await covered(client, cso, at)
    assert not await covered(client, cso, at, zone="B")
    assert not await covered(client, cso, at, plate="7ABC124")
    assert not await covered(client, cso, at, state="NV")
    assert await covered(client, cso, at, plate="7abc123", state="ca")  # as plates are read
    r = await client.get(f"{PERMITS}/check?plate=7ABC123&plate_state=CA&zone=Q", headers=cso)
    assert_problem(r, 422, "unknown_permit_zone")
    r = await client.get(
        f"{PERMITS}/check?plate=7ABC123&plate_state=CA&zone=A&at=2026-03-05T12:00:00", headers=cso
    )
    assert_problem(r, 422)  # no offset
    r = await client.post(
        f"{PERMITS}/{spring['id']}/revoke", json={"reason": "Sold the car"}, headers=records
    )
    assert r.status_code == 409  # expired already (its days are past): nothing to revoke
    now = datetime.now(LA).date()
    live = await issue(
        client, records, plate="5LIV555", valid_from=now.isoformat(), valid_to=now.isoformat()
    )
    assert await covered(client, cso, datetime.now(LA).isoformat(), plate="5LIV555")
    r = await client.get(f"{PERMITS}/check?plate=5LIV555&plate_state=CA&zone=A", headers=cso)
    assert r.json()["covered"] is True and r.json()["permit_id"] == live["id"]  # at: now
    r = await client.post(f"{PERMITS}/{live['id']}/revoke", json={"reason": "x"}, headers=records)
    assert r.status_code == 200
    assert not await covered(client, cso, datetime.now(LA).isoformat(), plate="5LIV555")
    checks = db.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "permit.check"))
    assert checks == 8  # one per check answered


async def test_citation_in_a_permit_zone(client, db, settings, permits):
    who, spring, _ = permits
    schedule(db, settings)
    cso = who["cso"].headers
    inside = "2026-03-08T23:30:00-07:00"
    body = citation_body(issued_at=inside, permit_zone="A")
    r = await client.post(CITATIONS, json=body, headers=cso)
    problem = assert_problem(r, 409, "permit_valid")
    assert problem["permit_id"] == spring["id"] and problem["permit_number"] == spring["number"]
    # An hour later the permit's last day is over: cited.
    later = citation_body(issued_at="2026-03-09T00:30:00-07:00", permit_zone="A")
    r = await client.post(CITATIONS, json=later, headers=cso)
    assert r.status_code == 201, r.text
    assert r.json()["permit_zone"] == "A" and r.json()["permit_override_reason"] is None
    # Another zone: the permit does not cover it there.
    r = await client.post(
        CITATIONS, json=citation_body(issued_at=inside, permit_zone="b"), headers=cso
    )
    assert r.status_code == 201 and r.json()["permit_zone"] == "B"
    # Overridden with a reason.
    reason = "Permit displayed belongs to a different vehicle"
    body["permit_override"] = {"reason": reason}
    r = await client.post(CITATIONS, json=body, headers=cso)
    assert r.status_code == 201, r.text
    cited = r.json()
    assert cited["permit_override_reason"] == reason
    read = await client.get(f"{CITATIONS}/{cited['id']}", headers=who["records"].headers)
    assert read.json()["permit_override_reason"] == reason
    issued = db.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "citation.issue", AuditEvent.entity_id == cited["id"]
        )
    ).one()
    assert issued.detail["permit_overridden"] is True
    r = await client.post(CITATIONS, json=body | {"permit_zone": None}, headers=cso)
    assert_problem(r, 422, "override_without_zone")
    r = await client.post(CITATIONS, json=citation_body(permit_zone="NOPE"), headers=cso)
    assert_problem(r, 422, "unknown_permit_zone")
    empty = body | {"permit_override": {"reason": "  "}}
    assert_problem(await client.post(CITATIONS, json=empty, headers=cso), 422)
    # Without a zone, permits are not consulted.
    r = await client.post(CITATIONS, json=citation_body(issued_at=inside), headers=cso)
    assert r.status_code == 201 and r.json()["permit_zone"] is None


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)),
    st.integers(min_value=0, max_value=400),
)
def test_span_is_whole_local_days(first, extra):
    last = first + timedelta(days=extra)
    starts, ends = span(first, last, LA)
    assert starts.tzinfo is not None and starts.utcoffset() == timedelta(0)
    assert starts.astimezone(LA).timetuple()[3:6] == (0, 0, 0)
    assert ends.astimezone(LA).timetuple()[3:6] == (0, 0, 0)
    assert starts.astimezone(LA).date() == first
    assert ends.astimezone(LA).date() == last + timedelta(days=1)
    hours = (ends - starts) / timedelta(hours=1)
    assert abs(hours - 24 * (extra + 1)) <= 1  # at most one clock change's hour either way
