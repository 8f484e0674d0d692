from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from tests.evidence.helpers import (
    LOC,
    URL,
    custody,
    intake,
    item_body,
    make_staff,
    storage,
)
from tests.factories import assert_problem


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def test_anonymous_and_wrong_roles(client, staff):
    for path in (URL, LOC):
        assert_problem(await client.get(path), 401)
        assert_problem(await client.post(path, json={}), 401)
    assert_problem(await client.get(URL, headers=staff["admin"]), 403, "insufficient_scope")
    assert_problem(await client.get(URL, headers=staff["cad"]), 403)
    body = {"code": "X1", "name": "Room", "level": "room", "purpose": "evidence"}
    assert_problem(await client.post(LOC, json=body, headers=staff["cso"]), 403)
    assert_problem(await client.post(LOC, json=body, headers=staff["sergeant"]), 403)


async def test_location_hierarchy(client, staff):
    s = await storage(client, staff)
    assert s["bins"][0]["path"] == ["EV1", "EV1-S1", "EV1-S1-B1"]
    assert s["bins"][0]["purpose"] == "evidence" and s["pshelf"]["purpose"] == "property"
    # a bin sits on a shelf, a shelf in a room, a room nowhere
    bad = [
        {"code": "B9", "name": "b", "level": "bin", "parent_id": s["room"]["id"]},
        {"code": "S9", "name": "s", "level": "shelf"},
        {
            "code": "R9",
            "name": "r",
            "level": "room",
            "parent_id": s["room"]["id"],
            "purpose": "evidence",
        },
        {"code": "R8", "name": "r", "level": "room"},
    ]
    for body in bad:
        assert_problem(await client.post(LOC, json=body, headers=staff["records"]), 422)
    mixed = {
        "code": "S8",
        "name": "s",
        "level": "shelf",
        "parent_id": s["proom"]["id"],
        "purpose": "evidence",
    }
    assert_problem(
        await client.post(LOC, json=mixed, headers=staff["records"]),
        409,
        "location_purpose_mismatch",
    )
    dup = {"code": "ev1", "name": "again", "level": "room", "purpose": "evidence"}
    assert_problem(
        await client.post(LOC, json=dup, headers=staff["records"]), 409, "location_code_taken"
    )
    page = await client.get(LOC, params={"parent_id": s["shelf"]["id"]}, headers=staff["cso"])
    assert [x["code"] for x in page.json()["items"]] == ["EV1-S1-B1", "EV1-S1-B2"]


async def test_intake_sets_barcode_review_date_and_first_event(client, db, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    assert re.fullmatch(r"E\d{2}-\d{6}", item["barcode"])
    assert item["status"] == "in_custody" and item["custody_events"] == 1
    assert item["current_location"]["code"] == "EV1-S1-B1"
    assert item["review_rule"] == "evidence-default"
    assert item["review_date"] == "2027-11-30"
    assert item["collected_by"] == str(staff["cso_user"].id) and not item["high_risk"]
    chain = (await client.get(f"{URL}/{item['id']}/custody", headers=staff["cso"])).json()
    first = chain["items"][0]
    assert (first["seq"], first["action"], first["prev_hash"]) == (1, "intake", "0" * 64)
    assert first["to_location_id"] == s["bins"][0]["id"]
    types = db.scalars(sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == item["id"])).all()
    assert types == ["evidence.intake"]
    payload = db.scalars(
        sa.select(OutboxEvent.payload).where(OutboxEvent.entity_id == item["id"])
    ).one()
    assert "description" not in payload and payload["barcode"] == item["barcode"]


@pytest.mark.parametrize(
    ("kind", "category", "extra", "rule", "days_after"),
    [
        ("evidence", "firearm", {}, "evidence-high-risk", 180),
        ("evidence", "biological", {}, "biological-incarcerated", 365),
        ("evidence", "clothing", {"biological": True}, "biological-incarcerated", 365),
        ("found_property", "jewelry", {}, "found-property-holding", 90),
        ("safekeeping", "money", {}, "safekeeping", 90),
    ],
)
async def test_review_date_by_rule(client, staff, kind, category, extra, rule, days_after):
    s = await storage(client, staff)
    where = s["bins"][0] if kind == "evidence" else s["pshelf"]
    item = await intake(client, staff, where, kind=kind, category=category, **extra)
    assert item["review_rule"] == rule
    # collected 2026-11-30 in the agency's time zone
    got = date.fromisoformat(item["review_date"]) - date(2026, 11, 30)
    assert got.days == days_after
    assert item["high_risk"] is (category in {"firearm", "drugs", "money", "jewelry"})


async def test_found_property_holding_period_is_a_setting(app, client, staff, settings):
    s = await storage(client, staff)
    app.state.settings = settings.model_copy(update={"found_property_holding_days": 30})
    try:
        item = await intake(client, staff, s["pshelf"], kind="found_property", category="bicycle")
    finally:
        app.state.settings = settings
    assert item["review_date"] == "2026-12-30"


async def test_found_property_never_shares_evidence_storage(client, staff):
    s = await storage(client, staff)
    for kind in ("found_property", "safekeeping"):
        r = await client.post(URL, json=item_body(s["bins"][0], kind=kind), headers=staff["cso"])
        assert_problem(r, 409, "location_purpose_mismatch")
    r = await client.post(URL, json=item_body(s["pshelf"]), headers=staff["cso"])
    assert_problem(r, 409, "location_purpose_mismatch")
    found = await intake(
        client,
        staff,
        s["pshelf"],
        kind="found_property",
        owner={"name": "Ann Owner", "phone": "619-555-0100"},
    )
    assert found["owner"]["name"] == "Ann Owner"
    out = await custody(
        client,
        staff,
        found,
        action="check_out",
        to_holder=str(staff["other_user"].id),
        reason="Owner viewing",
    )
    assert out.status_code == 201, out.text
    back = await custody(
        client, staff, found, action="check_in", to_location=s["bins"][1]["id"], reason="Return"
    )
    assert_problem(back, 409, "location_purpose_mismatch")


async def test_intake_refusals(client, staff):
    s = await storage(client, staff)
    cases = [
        (item_body(s["bins"][0], owner={"name": "X"}), 422, "owner_not_for_evidence"),
        (
            item_body(s["bins"][0], call_id="00000000-0000-4000-8000-000000000000"),
            422,
            "unknown_call",
        ),
        (
            item_body(s["bins"][0], report_id="00000000-0000-4000-8000-000000000000"),
            422,
            "unknown_report",
        ),
        (item_body(s["bins"][0], category="spaceship"), 422, None),
        (item_body(s["bins"][0], collected_at="2026-11-30T09:15:00"), 422, None),
        (item_body(s["bins"][0], collected_at="2999-01-01T00:00:00Z"), 422, "time_in_future"),
        (item_body(s["bins"][0], quantity=0), 422, None),
        (item_body(s["bins"][0], extra="x"), 422, None),
        (item_body({"id": "00000000-0000-4000-8000-000000000000"}), 422, "unknown_location"),
    ]
    for body, status, code in cases:
        assert_problem(await client.post(URL, json=body, headers=staff["cso"]), status, code)


async def test_links_to_call_and_report_and_timeline(client, db, settings, staff):
    from tests.calls.helpers import create_call
    from tests.reports.helpers import crime

    cad = staff["cad"]
    call = await create_call(client, cad)
    rep = await client.post("/api/v1/reports", json=crime(call_id=call["id"]), headers=staff["cso"])
    assert rep.status_code == 201, rep.text
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0], call_id=call["id"], report_id=rep.json()["id"])
    listed = await client.get(URL, params={"report_id": rep.json()["id"]}, headers=staff["cso"])
    assert [x["id"] for x in listed.json()["items"]] == [item["id"]]
    tl = await client.get(f"/api/v1/calls/{call['id']}/timeline", headers=staff["sergeant"])
    assert tl.status_code == 200, tl.text
    kinds = [e for e in tl.json()["items"] if e.get("record_id") == item["id"]]
    assert kinds and kinds[0]["kind"] == "evidence_intake"
