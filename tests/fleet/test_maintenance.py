"""Maintenance over HTTP: due by date and by odometer at their boundaries, the worklist,
recurring tasks moved on by a vendor's service record, one-off tasks done, and odometer
readings that never go back."""

from __future__ import annotations

import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem, everyone
from tests.fleet.helpers import URL, add, day, equipment, vehicle


async def ids(client, headers, query):
    r = await client.get(f"{URL}?{query}", headers=headers)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


async def test_due_by_date_boundaries_and_overdue(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers
    due_today = await add(
        client,
        sgt,
        equipment(
            unit_number="R-1",
            category="radio",
            maintenance=[{"task": "Battery swap", "due_on": day(settings, 0)}],
        ),
    )
    due_later = await add(
        client,
        sgt,
        equipment(
            unit_number="R-2",
            category="radio",
            maintenance=[{"task": "Battery swap", "due_on": day(settings, 10)}],
        ),
    )
    past = await add(
        client,
        sgt,
        equipment(
            unit_number="R-3",
            category="radio",
            maintenance=[{"task": "Battery swap", "due_on": day(settings, -1)}],
        ),
    )
    await add(client, sgt, equipment(unit_number="R-4", category="radio"))  # no tasks
    # Due on DATE is due "before" DATE: the day itself counts.
    assert await ids(client, sgt, f"service_due_before={day(settings, 0)}") == [
        due_today["id"],
        past["id"],
    ]
    assert await ids(client, sgt, f"service_due_before={day(settings, 9)}") == [
        due_today["id"],
        past["id"],
    ]
    assert await ids(client, sgt, f"service_due_before={day(settings, 10)}") == [
        due_today["id"],
        due_later["id"],
        past["id"],
    ]
    assert await ids(client, sgt, f"service_due_before={day(settings, -2)}") == []
    # Overdue is after the day: due today is not yet overdue.
    assert due_today["maintenance"][0]["overdue"] is False
    assert past["maintenance"][0]["overdue"] is True and past["maintenance_overdue"] is True


async def test_due_by_odometer_boundaries(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers
    reached = await add(
        client,
        sgt,
        vehicle(
            unit_number="V-1",
            odometer=45000,
            maintenance=[{"task": "Oil change", "due_odometer": 45000}],
        ),
    )
    close = await add(
        client,
        sgt,
        vehicle(
            unit_number="V-2",
            odometer=44500,
            maintenance=[{"task": "Oil change", "due_odometer": 45000}],
        ),
    )
    unread = await add(
        client,
        sgt,
        equipment(
            unit_number="T-1",
            category="trailer",
            maintenance=[{"task": "Bearings", "due_odometer": 10}],
        ),
    )
    assert reached["maintenance"][0]["overdue"] is True
    assert close["maintenance"][0]["overdue"] is False
    assert unread["maintenance"][0]["overdue"] is False  # no reading: not due by odometer
    assert await ids(client, sgt, "service_due_odometer_within=0") == [reached["id"]]
    assert await ids(client, sgt, "service_due_odometer_within=499") == [reached["id"]]
    assert await ids(client, sgt, "service_due_odometer_within=500") == [reached["id"], close["id"]]
    # A date alone: odometer tasks count once their reading is reached.
    assert await ids(client, sgt, f"service_due_before={day(settings, 365)}") == [reached["id"]]
    both = f"service_due_before={day(settings, 365)}&service_due_odometer_within=500"
    assert await ids(client, sgt, both) == [reached["id"], close["id"]]
    for bad in ("-1", "100001", "many"):
        r = await client.get(f"{URL}?service_due_odometer_within={bad}", headers=sgt)
        assert_problem(r, 422)
    # A reading of 45000 puts the second on the list.
    r = await client.patch(
        f"{URL}/{close['id']}", json={"odometer": 45000}, headers=sgt | {"If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["maintenance"][0]["overdue"] is True
    assert await ids(client, sgt, "service_due_odometer_within=0") == [reached["id"], close["id"]]
    # Retired items are off the worklist.
    await client.post(f"{URL}/{reached['id']}/retire", json={"reason": "Totalled"}, headers=sgt)
    assert await ids(client, sgt, "service_due_odometer_within=0") == [close["id"]]


async def test_odometer_never_goes_back(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers
    item = await add(client, sgt, vehicle())
    at = f"{URL}/{item['id']}"
    r = await client.patch(at, json={"odometer": 41199}, headers=sgt | {"If-Match": '"1"'})
    problem = assert_problem(r, 422, "odometer_went_back")
    assert problem["current"] == 41200
    r = await client.patch(at, json={"odometer": 41200}, headers=sgt | {"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["odometer"] == 41200  # the same reading again
    r = await client.patch(at, json={"odometer": 41250}, headers=sgt | {"If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["odometer"] == 41250
    service = {
        "vendor": "Sunrise Fleet Repair",
        "serviced_on": day(settings, 0),
        "odometer": 41000,
        "work_done": "Brakes",
        "cost_cents": 1,
    }
    r = await client.post(f"{at}/service-records", json=service, headers=sgt)
    assert_problem(r, 422, "odometer_went_back")
    r = await client.post(f"{at}/return", json={"odometer": 1}, headers=sgt)
    assert_problem(r, 409, "fleet_item_not_out")
    r = await client.get(at, headers=sgt)
    assert r.json()["odometer"] == 41250 and r.headers["ETag"] == '"3"'


async def test_recurring_tasks_move_on_and_one_offs_end(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers
    tasks = [
        {"task": "Oil change", "due_odometer": 45000, "every_miles": 5000},
        {"task": "Safety inspection", "due_on": day(settings, -3), "every_days": 90},
        {"task": "Recall: seat belt", "due_on": day(settings, -30)},
        {"task": "Tyre rotation", "due_odometer": 44000},
    ]
    item = await add(client, sgt, vehicle(odometer=45100, maintenance=tasks))
    oil, inspection, recall, tyres = (t["id"] for t in item["maintenance"])
    assert [t["overdue"] for t in item["maintenance"]] == [True, True, True, True]
    at = f"{URL}/{item['id']}"
    record = {
        "vendor": "Sunrise Fleet Repair",
        "serviced_on": day(settings, -1),
        "odometer": 45210,
        "work_done": "Oil and filter, inspection, recall repair",
        "cost_cents": 18950,
        "invoice_ref": "INV-5521",
        "completes": [oil, inspection, recall],
    }
    r = await client.post(f"{at}/service-records", json=record, headers=sgt)
    assert r.status_code == 201, r.text
    assert r.json()["cost_cents"] == 18950 and r.json()["completes"] == [oil, inspection, recall]
    item = (await client.get(at, headers=sgt)).json()
    by_id = {t["id"]: t for t in item["maintenance"]}
    # From the service, not from the old due date or reading.
    assert by_id[oil]["due_odometer"] == 50210 and by_id[oil]["done"] is False
    assert by_id[oil]["last_done_odometer"] == 45210 and not by_id[oil]["overdue"]
    assert by_id[inspection]["due_on"] == day(settings, 89) and not by_id[inspection]["overdue"]
    assert by_id[recall]["done"] is True and by_id[recall]["overdue"] is False
    assert by_id[tyres]["overdue"] is True and item["odometer"] == 45210
    assert item["maintenance_overdue"] is True
    # The done recall is off the worklist; the tyres keep the item on it.
    assert await ids(client, sgt, f"service_due_before={day(settings, 0)}") == [item["id"]]
    r = await client.post(
        f"{at}/service-records",
        json=record | {"completes": [tyres], "odometer": 45300},
        headers=sgt,
    )
    assert r.status_code == 201
    assert await ids(client, sgt, f"service_due_before={day(settings, 0)}") == []
    assert await ids(client, sgt, f"service_due_before={day(settings, 89)}") == [item["id"]]
    r = await client.get(f"{at}/service-records", headers=sgt)
    assert [s["odometer"] for s in r.json()["items"]] == [45300, 45210]
    ev = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == "fleet.serviced")).first()
    assert ev.payload["tasks_completed"] == 3 and ev.payload["cost_cents"] == 18950


async def test_service_record_rules(client, db, settings):
    sgt = everyone(db, settings)["records"].headers
    item = await add(client, sgt, vehicle(maintenance=[{"task": "Oil", "due_odometer": 45000}]))
    other = await add(
        client, sgt, equipment(maintenance=[{"task": "Check", "due_on": "2027-01-01"}])
    )  # noqa: E501
    at = f"{URL}/{item['id']}/service-records"
    base = {"vendor": "V", "serviced_on": day(settings, 0), "work_done": "x", "cost_cents": 0}
    oil = item["maintenance"][0]["id"]
    r = await client.post(at, json=base | {"completes": [oil]}, headers=sgt)
    assert_problem(r, 422, "odometer_required")
    r = await client.post(
        at, json=base | {"completes": [other["maintenance"][0]["id"]]}, headers=sgt
    )
    assert_problem(r, 422, "unknown_task")
    for bad in (
        base | {"cost_cents": -1},
        base | {"cost_cents": 10.5},
        base | {"serviced_on": day(settings, 3)},  # not yet
        base | {"completes": [oil, oil]},
        base | {"vendor": " "},
    ):
        assert_problem(await client.post(at, json=bad, headers=sgt), 422)
    assert_problem(
        await client.post(
            f"{URL}/00000000-0000-4000-8000-000000000000/service-records", json=base, headers=sgt
        ),
        404,
    )
    r = await client.post(at, json=base | {"odometer": 41300}, headers=sgt)
    assert r.status_code == 201 and r.json()["completes"] == []


async def test_tasks_added_and_removed(client, db, settings):
    sgt = everyone(db, settings)["sergeant"].headers
    item = await add(client, sgt, equipment())
    at = f"{URL}/{item['id']}/maintenance"
    r = await client.post(
        at,
        json={"task": "Solar panel clean", "due_on": day(settings, 5), "every_days": 30},
        headers=sgt | {"If-Match": '"1"'},
    )
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    (task,) = r.json()["maintenance"]
    r = await client.post(
        at, json={"task": "x", "due_on": day(settings, 5), "due_odometer": 3}, headers=sgt
    )
    assert_problem(r, 422)
    r = await client.post(
        at, json={"task": "x", "due_on": "2027-01-01"}, headers=sgt | {"If-Match": '"1"'}
    )
    assert_problem(r, 412)
    r = await client.delete(f"{at}/{task['id']}", headers=sgt)
    assert r.status_code == 200 and r.json()["maintenance"] == []
    assert_problem(
        await client.delete(f"{at}/{task['id']}", headers=sgt), 404, "fleet_task_not_found"
    )  # noqa: E501
