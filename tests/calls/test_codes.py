from __future__ import annotations

import pytest

from tests.calls.helpers import CALLS, call_body
from tests.factories import assert_problem, headers_for

TABLES = {
    "call-types": (
        {
            "code": "GRAFFITI",
            "description": "Graffiti",
            "common_code": "VANDAL",
            "default_priority": 4,
        },
        "PARKING",
    ),
    "dispositions": (
        {"code": "WARNING", "description": "Warning given", "common_code": None},
        "ADVISED",
    ),
    "offenses": (
        {
            "code": "23X",
            "description": "Local theft",
            "common_code": "23H",
            "crime_against": "Property",
        },
        "290",
    ),
}


@pytest.mark.parametrize("table", sorted(TABLES))
async def test_code_table_lifecycle(client, db, settings, table):
    url = f"/api/v1/codes/{table}"
    admin = headers_for(db, settings, "admin")
    cso = headers_for(db, settings, "cso")
    new, seeded = TABLES[table]
    assert_problem(await client.get(url), 401)
    seeded_row = (await client.get(f"{url}/{seeded}", headers=cso)).json()
    assert seeded_row["active"] is True
    assert_problem(await client.post(url, json=new, headers=cso), 403)
    r = await client.post(url, json=new, headers=admin)
    assert r.status_code == 201, r.text
    assert_problem(await client.post(url, json=new, headers=admin), 409, "code_exists")
    code = new["code"]
    assert_problem(await client.patch(f"{url}/{code}", json={"active": False}, headers=admin), 428)
    r = await client.patch(
        f"{url}/{code}",
        json={"active": False, "description": "Retired"},
        headers=admin | {"If-Match": '"1"'},
    )
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["version"] == 2
    listed = (await client.get(url, params={"active": "false", "limit": 500}, headers=cso)).json()
    assert [c["code"] for c in listed["items"]] == [code]
    all_codes = (await client.get(url, params={"limit": 500}, headers=cso)).json()["items"]
    assert [c["code"] for c in all_codes] == sorted(c["code"] for c in all_codes)
    assert_problem(await client.get(f"{url}/NOPE", headers=cso), 404, "code_not_found")
    assert_problem(await client.post(url, json=new | {"code": "bad code!"}, headers=admin), 422)
    # Each common code is bounded by its own column (16 for call types, 8 for the others):
    # PostgreSQL answered 500 for a 9-character one where SQLite stored it.
    longest = 16 if table == "call-types" else 8
    fresh = new | {"code": "LONGCOMMON"}
    r = await client.post(url, json=fresh | {"common_code": "C" * (longest + 1)}, headers=admin)
    assert_problem(r, 422, "validation_error")
    r = await client.post(url, json=fresh | {"common_code": "C" * longest}, headers=admin)
    assert r.status_code == 201, r.text
    r = await client.patch(
        f"{url}/LONGCOMMON",
        json={"common_code": "C" * (longest + 1)},
        headers=admin | {"If-Match": '"1"'},
    )
    assert_problem(r, 422, "validation_error")


async def test_inactive_call_type_cannot_be_used(client, db, settings):
    admin = headers_for(db, settings, "admin")
    r = await client.patch(
        "/api/v1/codes/call-types/NOISE",
        json={"active": False},
        headers=admin | {"If-Match": '"1"'},
    )
    assert r.status_code == 200
    cad = headers_for(db, settings, "cad")
    r = await client.post(CALLS, json=call_body(call_type="NOISE"), headers=cad)
    assert_problem(r, 422, "unknown_call_type")
