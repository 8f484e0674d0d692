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
