from __future__ import annotations

import pytest

from tests.evidence.helpers import URL, intake, make_staff, storage
from tests.factories import assert_problem

BULK = f"{URL}/custody/bulk"


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def test_bulk_check_out_and_in_by_scanned_barcodes(client, staff):
    s = await storage(client, staff)
    items = [await intake(client, staff, s["bins"][0]) for _ in range(3)]
    codes = [i["barcode"] for i in items]
    body = {
        "action": "check_out",
        "to_holder": str(staff["other_user"].id),
        "reason": "To the DA for review",
        "barcodes": codes + [codes[0]],
    }
    assert_problem(await client.post(BULK, json=body), 401)
    assert_problem(await client.post(BULK, json=body, headers=staff["admin"]), 403)
    r = await client.post(BULK, json=body, headers=staff["cso"])
    assert r.status_code == 200, r.text
    got = r.json()["items"]
    assert sorted(x["barcode"] for x in got) == sorted(codes)  # each once
    assert {(x["seq"], x["status"]) for x in got} == {(2, "checked_out")}
    listed = await client.get(
        URL, params={"holder_id": str(staff["other_user"].id)}, headers=staff["cso"]
    )
    assert len(listed.json()["items"]) == 3
    back = {
        "action": "check_in",
        "to_location": s["bins"][1]["id"],
        "reason": "Returned",
        "barcodes": [c.lower() for c in codes],
    }
    r = await client.post(BULK, json=back, headers=staff["records"])
    assert r.status_code == 200, r.text
    for item in items:
        v = (await client.get(f"{URL}/{item['id']}/custody/verify", headers=staff["cso"])).json()
        assert (v["valid"], v["events"]) == (True, 3)


async def test_bulk_is_all_or_nothing(client, staff):
    s = await storage(client, staff)
    a = await intake(client, staff, s["bins"][0])
    b = await intake(client, staff, s["bins"][0])
    out = {
        "action": "check_out",
        "to_holder": str(staff["other_user"].id),
        "reason": "x",
        "barcodes": [b["barcode"]],
    }
    assert (await client.post(BULK, json=out, headers=staff["cso"])).status_code == 200
    body = {
        "action": "check_out",
        "to_holder": str(staff["other_user"].id),
        "reason": "x",
        "barcodes": [a["barcode"], b["barcode"], "E99-999999"],
    }
    problem = assert_problem(
        await client.post(BULK, json=body, headers=staff["cso"]), 409, "bulk_refused"
    )
    assert {(f["barcode"], f["code"]) for f in problem["failures"]} == {
        (b["barcode"], "invalid_transition"),
        ("E99-999999", "item_not_found"),
    }
    got = (await client.get(f"{URL}/{a['id']}", headers=staff["cso"])).json()
    assert (got["status"], got["custody_events"]) == ("in_custody", 1)  # untouched
    assert_problem(await client.post(BULK, json=body | {"barcodes": []}, headers=staff["cso"]), 422)
    too_many = body | {"barcodes": [f"E26-{i:06d}" for i in range(501)]}
    assert_problem(await client.post(BULK, json=too_many, headers=staff["cso"]), 422)
