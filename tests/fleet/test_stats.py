"""The fleet's figures in the programme statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csoapi.core.figures import StatsQuery
from csoapi.fleet.stats import figures
from tests.factories import everyone
from tests.fleet.helpers import URL, add, day, equipment, vehicle


async def test_fleet_figures(client, db, settings):
    who = everyone(db, settings)
    sgt = who["sergeant"].headers
    late = await add(
        client,
        sgt,
        equipment(
            unit_number="RT-1", maintenance=[{"task": "Battery", "due_on": day(settings, -2)}]
        ),
    )
    await add(
        client,
        sgt,
        equipment(
            unit_number="RT-2", maintenance=[{"task": "Battery", "due_on": day(settings, 30)}]
        ),
    )
    truck = await add(client, sgt, vehicle(maintenance=[{"task": "Oil", "due_odometer": 41000}]))
    broken = await add(client, sgt, equipment(unit_number="RADIO-1", category="radio"))
    r = await client.post(
        f"{URL}/{broken['id']}/status", json={"status": "out_of_service"}, headers=sgt
    )
    assert r.status_code == 200
    service = {"vendor": "V", "serviced_on": day(settings, -1), "work_done": "x"}
    for cents in (12000, 3050):
        r = await client.post(
            f"{URL}/{late['id']}/service-records", json=service | {"cost_cents": cents}, headers=sgt
        )
        assert r.status_code == 201
    r = await client.post(
        f"{URL}/{truck['id']}/check-out", json={"holder_id": who["cso"].id}, headers=sgt
    )
    assert r.status_code == 200
    now = datetime.now(UTC)
    got = {
        f.id: f for f in figures(db, StatsQuery(now - timedelta(days=7), now + timedelta(days=1)))
    }
    assert got["fleet.service_records"].counts == {(): 2}
    assert got["fleet.service_cost"].cents == 15050
    assert got["fleet.checkouts"].counts == {(): 1}
    assert got["fleet.items_by_status"].counts == {("in_service",): 3, ("out_of_service",): 1}
    # RT-1 two days late (its services completed nothing) and the truck past 41000 miles.
    assert got["fleet.maintenance_overdue"].counts == {(): 2}
    before = {
        f.id: f for f in figures(db, StatsQuery(now - timedelta(days=30), now - timedelta(days=20)))
    }
    assert (
        before["fleet.service_records"].counts == {(): 0}
        and before["fleet.service_cost"].cents == 0
    )
    r = await client.get(
        "/api/v1/stats/summary",
        headers=sgt,
        params={"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
    )
    ids = {f["id"] for f in r.json()["figures"]}
    assert {"fleet.service_records", "fleet.maintenance_overdue", "fleet.items_by_status"} <= ids
