from __future__ import annotations

from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem, headers_for

OLD = "2026-05-01T10:00:00-07:00"


async def test_vehicle_record_and_scofflaws(client, db, settings):
    schedule(db, settings)
    cso, records = headers_for(db, settings, "cso"), headers_for(db, settings, "records")
    for _ in range(5):
        r = await client.post(
            CITATIONS, json=citation_body(plate="5cof123", issued_at=OLD), headers=cso
        )
        assert r.status_code == 201
    fresh = (await client.post(CITATIONS, json=citation_body(plate="5COF123"), headers=cso)).json()
    await client.post(CITATIONS, json=citation_body(plate="5COF123", kind="warning"), headers=cso)
    paid = (await client.post(CITATIONS, json=citation_body(plate="5COF123"), headers=cso)).json()
    await client.post(
        f"{CITATIONS}/{paid['id']}/payments",
        headers=records,
        json={"amount_cents": paid["balance_cents"], "method": "cash"},
    )
    r = await client.get("/api/v1/vehicles/ca/5cof123", headers=cso)
    assert r.status_code == 200, r.text
    v = r.json()
    assert (v["plate"], v["plate_state"]) == ("5COF123", "CA")
    assert len(v["open_citations"]) == 6 and v["overdue_count"] == 5 and v["tow_eligible"] is True
    assert v["total_balance_cents"] == 5 * 13800 + fresh["balance_cents"]
    assert (await client.get("/api/v1/vehicles/CA/NOSUCH1", headers=cso)).json()[
        "tow_eligible"
    ] is False
    s = (await client.get("/api/v1/vehicles/scofflaws", headers=records)).json()
    assert s["threshold"] == 5 and s["items"] == [
        {"plate": "5COF123", "plate_state": "CA", "overdue_count": 5}
    ]
    assert (
        await client.get("/api/v1/vehicles/scofflaws", params={"min_overdue": 6}, headers=records)
    ).json()["items"] == []
    assert_problem(await client.get("/api/v1/vehicles/scofflaws", headers=cso), 403)
    assert_problem(await client.get("/api/v1/vehicles/CAL/5COF123", headers=cso), 422)


async def test_the_portal_and_the_vehicle_view_agree_on_what_a_plate_owes(client, db, settings):
    """One answer to "what does this plate owe" (citations/owed.py): the portal's lookup and
    the vehicle record list the same citations with the same balances and statuses, whatever
    happened to them (part-paid, paid up, contested, dismissed, voided, in collections, a
    warning)."""
    schedule(db, settings)
    cso, records = headers_for(db, settings, "cso"), headers_for(db, settings, "records")
    sergeant, portal = (
        headers_for(db, settings, "sergeant"),
        headers_for(db, settings, "payment_portal"),
    )
    plate = "6OWE123"

    async def issue(**kw):
        r = await client.post(CITATIONS, json=citation_body(plate=plate, **kw), headers=cso)
        assert r.status_code == 201, r.text
        return r.json()

    async def post(c, action, body, who=records):
        r = await client.post(f"{CITATIONS}/{c['id']}/{action}", json=body, headers=who)
        assert r.status_code in (200, 201), r.text

    await issue()  # open
    part, full = await issue(), await issue()
    await post(part, "payments", {"amount_cents": 1000, "method": "cash"})
    await post(full, "payments", {"amount_cents": full["balance_cents"], "method": "cash"})
    await post(await issue(), "contest", {"reason": "not my car"})
    dismissed = await issue()
    await post(dismissed, "contest", {"reason": "sign missing"})
    await post(dismissed, "adjudicate", {"outcome": "dismissed", "reason": "sign missing"})
    await post(await issue(), "void", {"reason": "wrong plate"}, who=sergeant)
    await post(await issue(issued_at=OLD), "collections", {})
    await issue(issued_at=OLD)  # overdue
    await issue(kind="warning")

    r = await client.get(
        f"{CITATIONS}/lookup", params={"plate": plate, "plate_state": "CA"}, headers=portal
    )
    assert r.status_code == 200, r.text
    portal_sees = [(i["number"], i["balance_cents"], i["status"]) for i in r.json()["items"]]
    r = await client.get(f"/api/v1/vehicles/CA/{plate}", headers=cso)
    assert r.status_code == 200, r.text
    record = r.json()
    officers_see = [
        (i["number"], i["balance_cents"], i["status"]) for i in record["open_citations"]
    ]
    assert sorted(officers_see) == sorted(portal_sees)
    assert sorted(s for _, _, s in portal_sees) == [
        "collections",
        "contested",
        "open",
        "open",
        "overdue",
    ]
    assert record["total_balance_cents"] == sum(b for _, b, _ in portal_sees)
