"""/api/v1/hsds: the HSDS 3.0 API. A walk of every endpoint harvests ids and validates
every body against the HSDS schemas (as the Open Referral UK validator does), then each
filter, alone and combined (AND)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.directory.helpers import Directory, location
from tests.directory.hsds_schemas import errors, page_validator, validator
from tests.factories import assert_problem, headers_for

PAGED = {
    "/api/v1/hsds/services": "service",
    "/api/v1/hsds/organizations": "organization",
    "/api/v1/hsds/service_at_locations": "service_at_location",
    "/api/v1/hsds/taxonomies": "taxonomy",
    "/api/v1/hsds/taxonomy_terms": "taxonomy_term",
}
DETAIL = {"/api/v1/hsds/services": "service", "/api/v1/hsds/organizations": "organization"}


@pytest.fixture
def hsds_schema(shared_data: Path) -> Path:
    return shared_data / "standards" / "hsds" / "schema"


async def arrange(client, db, settings) -> dict[str, Any]:
    d = Directory(client, db, settings)
    a = await d.org("Alder Community Services", website="https://alder.example.org")
    b = await d.org("Birch Family Centre")
    shelter = await d.service(a["id"], "Night shelter")
    food = await d.service(
        a["id"],
        "Food pantry",
        categories=["food"],
        locations=[location(37.80, -122.27, postal_code="94612")],
    )
    legal = await d.service(
        b["id"], "Tenant legal clinic", categories=["legal", "housing"], url="https://b.example"
    )
    return {"d": d, "orgs": [a, b], "services": [shelter, food, legal]}


async def walk(client, headers, hsds_schema: Path) -> dict[str, set[str]]:
    """Every page of every listing, every item's detail; all validated. Returns the ids."""
    harvested: dict[str, set[str]] = {}
    r = await client.get("/api/v1/hsds/", headers=headers)
    assert r.status_code == 200, r.text
    about = r.json()
    assert about["version"] == "3.0" and about["profile"].startswith("https://")
    assert about["openapi_url"].startswith("https://")
    for path, table in PAGED.items():
        ids: set[str] = set()
        page = 1
        while True:
            r = await client.get(path, params={"page": page, "per_page": 2}, headers=headers)
            assert r.status_code == 200, (path, r.text)
            body = r.json()
            assert errors(page_validator(hsds_schema, table), body) == [], (path, body)
            assert body["page_number"] == page and body["size"] == len(body["contents"])
            ids |= {item["id"] for item in body["contents"]}
            if body["last_page"] or body["empty"]:
                break
            page += 1
        assert len(ids) == body["total_items"], path
        harvested[path] = ids
    for path, table in DETAIL.items():
        for item_id in harvested[path]:
            r = await client.get(f"{path}/{item_id}", headers=headers)
            assert r.status_code == 200, r.text
            assert errors(validator(hsds_schema, table), r.json()) == [], r.json()
    return harvested


async def test_anonymous_401_and_roles_without_services_read_403(client, db, settings):
    for path in ["/api/v1/hsds/", *PAGED]:
        assert_problem(await client.get(path), 401)
    for role in ("records", "cad", "payment_portal"):
        r = await client.get("/api/v1/hsds/services", headers=headers_for(db, settings, role))
        assert_problem(r, 403, "insufficient_scope")


@pytest.mark.parametrize("role", ["cso", "sergeant", "admin", "provider"])
async def test_the_walk_validates_every_body(client, db, settings, hsds_schema, role):
    arranged = await arrange(client, db, settings)
    ids = await walk(client, headers_for(db, settings, role), hsds_schema)
    assert ids["/api/v1/hsds/services"] == {s["id"] for s in arranged["services"]}
    # (a provider's own organization is in the directory too)
    assert ids["/api/v1/hsds/organizations"] >= {o["id"] for o in arranged["orgs"]}
    assert len(ids["/api/v1/hsds/service_at_locations"]) == 3
    assert len(ids["/api/v1/hsds/taxonomy_terms"]) == 4  # shelter, food, legal, housing


async def test_the_full_service_carries_its_parts(client, db, settings):
    arranged = await arrange(client, db, settings)
    legal = arranged["services"][2]
    h = headers_for(db, settings, "cso")
    body = (await client.get(f"/api/v1/hsds/services/{legal['id']}", headers=h)).json()
    assert body["organization"]["name"] == "Birch Family Centre"
    assert {a["taxonomy_term"]["code"] for a in body["attributes"]} == {"legal", "housing"}
    (sal,) = body["service_at_locations"]
    assert sal["location"]["addresses"][0]["postal_code"] == "94103"
    assert body["schedules"][0]["byday"] == "MO,TU,WE,TH,FR"
    assert body["schedules"][0]["opens_at"] == "09:00:00"
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(await client.get(f"/api/v1/hsds/services/{missing}", headers=h), 404)
    assert_problem(await client.get(f"/api/v1/hsds/organizations/{missing}", headers=h), 404)


async def _names(client, h, **params) -> set[str]:
    r = await client.get("/api/v1/hsds/services", params=params, headers=h)
    assert r.status_code == 200, r.text
    return {s["name"] for s in r.json()["contents"]}


async def test_filters_alone_and_combined_with_and(client, db, settings):
    arranged = await arrange(client, db, settings)
    a, b = arranged["orgs"]
    h = headers_for(db, settings, "cso")
    terms = (await client.get("/api/v1/hsds/taxonomy_terms", headers=h)).json()["contents"]
    housing = next(t["id"] for t in terms if t["code"] == "housing")
    assert await _names(client, h, search="PANTRY") == {"Food pantry"}
    assert await _names(client, h, organization_id=a["id"]) == {"Night shelter", "Food pantry"}
    assert await _names(client, h, taxonomy_term_id=housing) == {"Tenant legal clinic"}
    assert await _names(client, h, taxonomy_term_id=housing, organization_id=a["id"]) == set()
    assert await _names(client, h, postcode="94612") == {"Food pantry"}
    assert await _names(client, h, postcode="94103", search="clinic") == {"Tenant legal clinic"}
    # proximity: metres from the postcode's centre (94612 is in Oakland, ~13 km from 94103)
    assert await _names(client, h, postcode="94612", proximity=1000) == {"Food pantry"}
    near = await _names(client, h, postcode="94612", proximity=20000)
    assert near == {"Food pantry", "Night shelter", "Tenant legal clinic"}
    later = arranged["services"][2]["last_modified"]
    assert await _names(client, h, modified_after=later) == {"Tenant legal clinic"}
    r = await client.get("/api/v1/hsds/services", params={"proximity": 5}, headers=h)
    assert_problem(r, 422, "proximity_without_postcode")
    for bad in ({"page": 0}, {"per_page": 501}, {"organization_id": "x"}):
        assert_problem(await client.get("/api/v1/hsds/services", params=bad, headers=h), 422)


async def test_pages_past_the_end_are_empty_and_listings_are_audited(client, db, settings):
    from sqlmodel import select

    from csoapi.core.audit import AuditEvent

    await arrange(client, db, settings)
    h = headers_for(db, settings, "cso")
    r = await client.get("/api/v1/hsds/services", params={"page": 9, "per_page": 2}, headers=h)
    body = r.json()
    assert body["contents"] == [] and body["total_items"] == 3 and body["total_pages"] == 2
    assert body["last_page"] and not body["first_page"] and not body["empty"]
    rows = db.exec(select(AuditEvent).where(AuditEvent.action == "hsds.services")).all()
    assert len(rows) == 1 and rows[0].detail["filters"]["page"] == 9
