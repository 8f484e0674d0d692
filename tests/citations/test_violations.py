from __future__ import annotations

import pytest
import sqlalchemy as sa

from csoapi.violations.models import Violation
from csoapi.violations.service import import_schedule, in_force
from tests.factories import assert_problem, ctx, headers_for

URL = "/api/v1/violations"
V1 = {
    "code": "22500E",
    "description": "Blocking driveway",
    "ordinance": "CVC 22500(e)",
    "fine_cents": 6300,
    "penalties": [
        {"after_days": 21, "amount_cents": 2500},
        {"after_days": 56, "amount_cents": 5000},
    ],
    "effective_from": "2026-01-01",
}


async def test_versions_and_the_one_in_force(client, db, settings):
    admin = headers_for(db, settings, "admin")
    cso = headers_for(db, settings, "cso")
    assert_problem(await client.post(URL, json=V1, headers=cso), 403)
    r = await client.post(URL, json=V1, headers=admin)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["penalties"][1] == {"after_days": 56, "amount_cents": 5000}
    assert_problem(await client.post(URL, json=V1, headers=admin), 409, "violation_version_exists")
    later = {
        "fine_cents": 7500,
        "effective_from": "2026-07-01",
        "penalties": [
            {"after_days": 60, "amount_cents": 9000},
            {"after_days": 30, "amount_cents": 3000},
        ],
    }
    r = await client.post(URL, json=V1 | later, headers=admin)
    assert r.status_code == 201
    second = r.json()
    assert [t["after_days"] for t in second["penalties"]] == [30, 60]  # kept in order

    async def in_force_on(day):
        body = (await client.get(URL, params={"code": "22500E", "as_of": day}, headers=cso)).json()
        return [v["id"] for v in body["items"]]

    assert await in_force_on("2025-12-31") == []
    assert await in_force_on("2026-03-01") == [first["id"]]
    assert await in_force_on("2026-07-01") == [second["id"]]
    assert len((await client.get(URL, params={"code": "22500E"}, headers=cso)).json()["items"]) == 2
    # Wording may change; money may not (a new version does that).
    url = f"{URL}/{second['id']}"
    assert_problem(
        await client.patch(url, json={"fine_cents": 1}, headers=admin | {"If-Match": '"1"'}), 422
    )
    r = await client.patch(url, json={"active": False}, headers=admin | {"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["active"] is False
    assert await in_force_on("2026-08-01") == [first["id"]]


async def test_bad_schedules(client, db, settings):
    admin = headers_for(db, settings, "admin")
    same_day = [{"after_days": 21, "amount_cents": 1}, {"after_days": 21, "amount_cents": 2}]
    for bad in (
        V1 | {"fine_cents": -1},
        V1 | {"fine_cents": 63.5},
        V1 | {"effective_from": "soon"},
        V1 | {"effective_from": 0},
        V1 | {"penalties": same_day},
        V1 | {"penalties": [{"after_days": 0, "amount_cents": 1}]},
        V1 | {"code": "has space"},
    ):
        assert_problem(await client.post(URL, json=bad, headers=admin), 422, "validation_error")


def test_import_the_nyc_code_table(db, settings, shared_data):
    path = shared_data / "nyc_parking_violation_codes_2020-01.csv"
    if not path.is_file():
        pytest.skip("NYC violation code file is absent from the shared data folder")
    from datetime import date

    first = import_schedule(
        db,
        ctx(settings),
        path,
        code_column=0,
        description_column=1,
        fine_column=2,
        effective_from=date(2020, 1, 1),
    )
    assert (first.rows, first.stored, len(first.rejected)) == (97, 97, 0)
    v4 = in_force(db, "4", date(2020, 6, 1))
    assert (
        v4 is not None
        and v4.fine_cents == 11500
        and v4.description == "BUS PARKING IN LOWER MANHATTAN"
    )
    v41 = in_force(db, "41", date(2020, 6, 1))
    assert v41 is not None and v41.fine_cents == 0  # the city's own 0/0 row, kept as it is
    again = import_schedule(
        db,
        ctx(settings),
        path,
        code_column=0,
        description_column=1,
        fine_column=2,
        effective_from=date(2020, 1, 1),
    )
    assert (again.stored, again.already_present) == (0, 97)
    assert db.scalar(sa.select(sa.func.count()).select_from(Violation)) == 97
