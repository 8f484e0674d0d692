"""`csoapi import services`: the spec's own examples (JSON, its tabular JSON and the CSV
package), re-run safe, provenance kept, each refused record reported; and what was
imported validates against the HSDS schemas through the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from csoapi.directory.importer import import_services
from csoapi.directory.models import Location, Organization, Service
from tests.directory.hsds_schemas import errors, validator
from tests.directory.test_hsds import walk
from tests.factories import ctx, headers_for

SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
ORG_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"


@pytest.fixture
def examples(shared_data: Path) -> Path:
    return shared_data / "standards" / "hsds" / "examples"


def _import(db, settings, path: Path):
    report = import_services(db, ctx(settings), path)
    db.commit()
    return report


@pytest.mark.parametrize(
    "name", ["service_full.json", "organization_full.json", "service_at_location_full.json",
             "tabular.json", "csv", "csv/datapackage.json"],
)  # fmt: skip
async def test_each_example_imports_and_validates(client, db, settings, examples, name):
    report = _import(db, settings, examples / name)
    assert report.rejected == [], report.rejected
    assert report.stored >= 1
    # The spec's example location is at latitude 100: kept, not placed, and said so.
    assert any("off the Earth" in text for _, _, text in report.warnings)
    service = db.get(Service, __import__("uuid").UUID(SERVICE_ID))
    assert service is not None and service.name == "Community Counselling"
    assert service.source == f"import:{Path(name).name}"
    assert service.assured_date.isoformat() == "2005-01-01"
    assert service.last_modified.isoformat().startswith("2023-03-15T10:30:45")
    h = headers_for(db, settings, "cso")
    schema = examples.parent / "schema"
    body = (await client.get(f"/api/v1/hsds/services/{SERVICE_ID}", headers=h)).json()
    assert errors(validator(schema, "service"), body) == []
    assert body["organization"]["id"] == ORG_ID
    (sal,) = body["service_at_locations"]
    assert sal["location"]["addresses"][0]["postal_code"] == "ABC 1234"
    assert "latitude" not in sal["location"]
    await walk(client, h, schema)


async def test_re_running_adds_nothing_and_a_later_version_updates(
    client, db, settings, examples, tmp_path
):
    first = _import(db, settings, examples / "service_full.json")
    assert (first.stored, first.already_present) == (1, 0)
    again = _import(db, settings, examples / "service_full.json")
    assert (again.stored, again.already_present, again.rejected) == (0, 1, [])
    assert len(db.exec(select(Service)).all()) == 1
    assert len(db.exec(select(Location)).all()) == 1
    newer = json.loads((examples / "service_full.json").read_text())
    newer["last_modified"] = "2024-01-01T00:00:00Z"
    newer["name"] = "Community Counselling (renamed)"
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(newer))
    later = _import(db, settings, path)
    assert (later.stored, later.already_present) == (1, 0)
    db.expire_all()
    (service,) = db.exec(select(Service)).all()
    assert service.name == "Community Counselling (renamed)" and service.version == 2
    assert service.source == "import:newer.json"
    assert len(db.exec(select(Location)).all()) == 1


async def test_each_refused_record_is_reported_and_the_rest_go_in(db, settings, tmp_path):
    org = {"id": ORG_ID, "name": "Org", "description": "An organization"}
    good = {"id": SERVICE_ID, "name": "Good", "status": "active", "organization": org}
    records = [
        good,
        {"id": "11111111-1111-4111-8111-111111111111", "name": "No status", "organization": org},
        {"id": "22222222-2222-4222-8222-222222222222", "name": "Bad", "status": "open",
         "organization": org},
        {"id": "33333333-3333-4333-8333-333333333333", "name": "Orphan", "status": "active",
         "organization_id": "44444444-4444-4444-8444-444444444444"},
        {"id": "55555555-5555-4555-8555-555555555555", "name": "Ages", "status": "active",
         "minimum_age": 60, "maximum_age": 10, "organization": org},
        "not an object",
    ]  # fmt: skip
    path = tmp_path / "services.json"
    path.write_text(json.dumps(records))
    report = _import(db, settings, path)
    assert report.rows == 6 and report.stored == 1
    where = {w: reason for w, _, reason in report.rejected}
    assert set(where) == {"item 1", "item 2", "item 3", "item 4", "item 5"}
    assert "status" in where["item 2"] and "organization" in where["item 3"]
    assert "minimum_age" in where["item 4"]
    assert [s.name for s in db.exec(select(Service)).all()] == ["Good"]
    assert len(db.exec(select(Organization)).all()) == 1
