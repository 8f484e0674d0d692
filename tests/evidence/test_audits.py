from __future__ import annotations

import hashlib
import math

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from csoapi.evidence import audits, signing
from tests.evidence.helpers import URL, custody, intake, make_staff, storage
from tests.factories import assert_problem

AUDITS = f"{URL}/audits"


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


@given(population=st.integers(0, 5000), percent=st.integers(1, 100))
def test_sample_size_never_below_the_rate(population, percent):
    n = audits.sample_size(population, percent)
    assert n >= population * percent / 100 and n <= population
    assert n - 1 < population * percent / 100  # and no bigger than it needs to be


async def _fill(client, staff, where, high, other):
    items = []
    for i in range(high):
        items.append(await intake(client, staff, where, category=("firearm", "drugs")[i % 2]))
    for _ in range(other):
        items.append(await intake(client, staff, where, category="clothing"))
    return items


async def test_sampling_rates_and_a_reproducible_draw(client, staff):
    s = await storage(client, staff)
    items = await _fill(client, staff, s["bins"][0], high=21, other=30)
    outside = await intake(client, staff, s["bins"][1], category="firearm")
    body = {"location_id": s["bins"][0]["id"]}
    assert_problem(await client.post(AUDITS, json=body), 401)
    for who in ("cso", "records"):  # not the property room's own staff
        assert_problem(await client.post(AUDITS, json=body, headers=staff[who]), 403)
    r = await client.post(AUDITS, json=body, headers=staff["sergeant"])
    assert r.status_code == 201, r.text
    a = r.json()
    assert (a["high_risk_percent"], a["other_percent"]) == (10, 5)
    high = [ln for ln in a["lines"] if ln["high_risk"]]
    other = [ln for ln in a["lines"] if not ln["high_risk"]]
    assert (len(high), len(other)) == (math.ceil(21 * 0.10), math.ceil(30 * 0.05)) == (3, 2)
    assert outside["barcode"] not in {ln["barcode"] for ln in a["lines"]}
    # anyone can draw it again from the seed
    by_code = {i["barcode"]: i for i in items}
    pop = [type("I", (), {"barcode": c}) for c, i in by_code.items() if i["high_risk"]]
    again = audits.draw(pop, 10, a["seed"])
    assert sorted(x.barcode for x in again) == sorted(ln["barcode"] for ln in high)
    bigger = await client.post(
        AUDITS, json=body | {"high_risk_percent": 50, "other_percent": 0}, headers=staff["sergeant"]
    )
    counts = [ln["high_risk"] for ln in bigger.json()["lines"]]
    assert (counts.count(True), counts.count(False)) == (11, 0)
    low = await client.post(AUDITS, json=body | {"high_risk_percent": 9}, headers=staff["sergeant"])
    assert_problem(low, 422)  # the schema's floor, from audits.json
    everything = await client.post(
        AUDITS, json={"high_risk_percent": 100, "other_percent": 100}, headers=staff["sergeant"]
    )
    assert len(everything.json()["lines"]) == 52


async def test_scans_discrepancies_and_the_signed_summary(client, staff, settings):
    s = await storage(client, staff)
    items = await _fill(client, staff, s["bins"][0], high=3, other=2)
    stray = await intake(client, staff, s["bins"][1], category="clothing")
    out = await intake(client, staff, s["bins"][1], category="tools")
    r = await custody(
        client, staff, out, action="check_out", reason="x", to_holder=str(staff["other_user"].id)
    )
    assert r.status_code == 201
    body = {"location_id": s["bins"][0]["id"], "high_risk_percent": 100, "other_percent": 100}
    a = (await client.post(AUDITS, json=body, headers=staff["sergeant"])).json()
    assert len(a["lines"]) == 5
    b0, b1 = s["bins"][0]["id"], s["bins"][1]["id"]
    codes = sorted(i["barcode"] for i in items)
    scans = [
        {"barcode": codes[0], "location_id": b0},  # found
        {"barcode": codes[1], "location_id": b1},  # misplaced
        {"barcode": stray["barcode"], "location_id": b1},  # shelf → file: as recorded
        {"barcode": out["barcode"], "location_id": b1},  # recorded as checked out
        {"barcode": "E99-000001", "location_id": b1},  # no such item
    ]
    url = f"{AUDITS}/{a['id']}"
    assert_problem(
        await client.post(f"{url}/scans", json={"scans": scans}, headers=staff["other_sergeant"]),
        403,
        "auditor_only",
    )
    r = await client.post(f"{url}/scans", json={"scans": scans}, headers=staff["sergeant"])
    assert r.status_code == 200, r.text
    results = {ln["barcode"]: ln["result"] for ln in r.json()["lines"]}
    assert results[codes[0]] == "found" and results[codes[1]] == "misplaced"
    assert results[stray["barcode"]] == "found" and results[out["barcode"]] == "unexpected"
    assert results["E99-000001"] == "unknown" and results[codes[2]] == "pending"
    closed = await client.post(f"{url}/close", headers=staff["sergeant"])
    assert closed.status_code == 200, closed.text
    c = closed.json()
    assert c["status"] == "closed"
    assert c["summary"]["results"] == {
        "found": 2,
        "misplaced": 1,
        "missing": 3,
        "unexpected": 1,
        "unknown": 1,
    }
    assert {d["barcode"] for d in c["discrepancies"]} == {
        codes[1],
        codes[2],
        codes[3],
        codes[4],
        out["barcode"],
        "E99-000001",
    }
    assert c["summary_hash"] == hashlib.sha256(rfc8785.dumps(c["summary"])).hexdigest()
    key = signing.public_key_b64(settings)
    assert signing.verify(key, c["summary"], c["signature"])
    assert not signing.verify(key, c["summary"] | {"results": {}}, c["signature"])
    assert_problem(
        await client.post(f"{url}/close", headers=staff["sergeant"]), 409, "audit_closed"
    )
    assert_problem(
        await client.post(f"{url}/scans", json={"scans": scans[:1]}, headers=staff["sergeant"]),
        409,
        "audit_closed",
    )
    seen = await client.get(url, headers=staff["records"])
    assert seen.status_code == 200 and seen.json()["signature"] == c["signature"]


async def test_file_to_shelf_only_takes_the_sample(client, staff):
    s = await storage(client, staff)
    await _fill(client, staff, s["bins"][0], high=1, other=0)
    stray = await intake(client, staff, s["bins"][1], category="clothing")
    body = {
        "method": "file_to_shelf",
        "trigger": "custodian_change",
        "other_percent": 0,
        "location_id": s["bins"][0]["id"],
    }
    a = (await client.post(AUDITS, json=body, headers=staff["sergeant"])).json()
    assert a["trigger"] == "custodian_change" and len(a["lines"]) == 1
    r = await client.post(
        f"{AUDITS}/{a['id']}/scans",
        headers=staff["sergeant"],
        json={"scans": [{"barcode": stray["barcode"], "location_id": s["bins"][1]["id"]}]},
    )
    assert_problem(r, 409, "not_in_sample")
    shelf = await client.post(AUDITS, json={"method": "shelf_to_file"}, headers=staff["sergeant"])
    assert shelf.json()["lines"] == []
