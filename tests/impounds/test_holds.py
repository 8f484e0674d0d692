"""Holds on impounds over HTTP (contract section 6a): who places and lifts, the review
worklist; what a hold blocks is tested with release and disposal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from csoapi.core.models import utcnow
from csoapi.holds.models import Hold
from tests.factories import assert_problem
from tests.impounds.helpers import URL, lift, make_staff, new_impound

HOLD = {"type": "evidence", "basis": "PC 1536", "reason": "Vehicle used in a burglary"}


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def test_only_sergeants_place_and_lift(client, staff):
    i = await new_impound(client, staff["cso"], towed_at=utcnow().isoformat())
    holds = f"{URL}/{i['id']}/holds"
    assert_problem(await client.post(holds, json=HOLD), 401)
    for who in ("cso", "records", "admin", "portal"):
        assert_problem(await client.post(holds, json=HOLD, headers=staff[who]), 403)
    r = await client.post(holds, json=HOLD, headers=staff["sergeant"])
    assert r.status_code == 201, r.text
    h = r.json()
    assert r.headers["location"] == f"/api/v1/impounds/{i['id']}/holds/{h['id']}"
    assert (h["type"], h["active"], h["review_overdue"]) == ("evidence", True, False)
    assert h["placed_by_name"].startswith("sergeant.")  # the username
    for who in ("cso", "records"):
        assert_problem(await lift(client, staff[who], i, h["id"]), 403)
    listed = await client.get(holds, headers=staff["cso"])
    assert [x["id"] for x in listed.json()] == [h["id"]]
    shown = (await client.get(f"{URL}/{i['id']}", headers=staff["records"])).json()
    assert [x["id"] for x in shown["holds"]] == [h["id"]]

    assert_problem(
        await client.request("DELETE", f"{holds}/{h['id']}", json={}, headers=staff["sergeant"]),
        422,
    )
    done = await lift(client, staff["sergeant"], i, h["id"], "Evidence photographed")
    assert done.status_code == 200, done.text
    assert (done.json()["active"], done.json()["release_reason"]) == (
        False,
        "Evidence photographed",
    )
    assert_problem(await lift(client, staff["sergeant"], i, h["id"]), 409, "hold_released")
    assert_problem(await lift(client, staff["sergeant"], i, str(uuid.uuid4())), 404)
    other = await new_impound(client, staff["cso"])
    assert_problem(await lift(client, staff["sergeant"], other, h["id"]), 404, "hold_not_found")
    missing = f"{URL}/{uuid.uuid4()}/holds"
    assert_problem(await client.post(missing, json=HOLD, headers=staff["sergeant"]), 404)


async def test_bad_holds(client, staff):
    i = await new_impound(client, staff["cso"])
    holds = f"{URL}/{i['id']}/holds"
    past = (utcnow() - timedelta(days=1)).isoformat()
    cases = [
        (HOLD | {"type": "personal"}, None),
        (HOLD | {"basis": " "}, None),
        (HOLD | {"review_due": past}, "review_due_past"),
        (HOLD | {"review_due": "2026-12-30T10:00:00"}, None),
        ({"type": "court", "reason": "x"}, None),
    ]
    for body, code in cases:
        assert_problem(await client.post(holds, json=body, headers=staff["sergeant"]), 422, code)


async def test_idempotent_placing(client, staff):
    i = await new_impound(client, staff["cso"])
    h = staff["sergeant"] | {"Idempotency-Key": "hold-1"}
    first = await client.post(f"{URL}/{i['id']}/holds", json=HOLD, headers=h)
    again = await client.post(f"{URL}/{i['id']}/holds", json=HOLD, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    listed = await client.get(f"{URL}/{i['id']}/holds", headers=staff["cso"])
    assert len(listed.json()) == 1


async def test_review_overdue_worklist(client, db, staff):
    i = await new_impound(client, staff["cso"])
    holds = f"{URL}/{i['id']}/holds"
    late = (await client.post(holds, json=HOLD, headers=staff["sergeant"])).json()
    fresh = (
        await client.post(holds, json=HOLD | {"type": "court"}, headers=staff["sergeant"])
    ).json()
    db.execute(
        sa.update(Hold)
        .where(Hold.id == uuid.UUID(late["id"]))
        .values(review_due=utcnow() - timedelta(hours=2))
    )
    db.commit()
    overdue = await client.get(
        f"{URL}/holds", params={"review_overdue": "true"}, headers=staff["sergeant"]
    )
    assert overdue.status_code == 200, overdue.text
    items = overdue.json()["items"]
    assert [(x["id"], x["review_overdue"]) for x in items] == [(late["id"], True)]
    every = await client.get(f"{URL}/holds", headers=staff["sergeant"])
    assert [x["id"] for x in every.json()["items"]] == [late["id"], fresh["id"]]
    r = await client.post(
        f"{holds}/{late['id']}/review",
        json={"note": "Still needed for trial"},
        headers=staff["sergeant"],
    )
    assert r.status_code == 200, r.text
    assert (r.json()["review_overdue"], r.json()["review_note"]) == (
        False,
        "Still needed for trial",
    )
    overdue = await client.get(
        f"{URL}/holds", params={"review_overdue": "true"}, headers=staff["sergeant"]
    )
    assert overdue.json()["items"] == []
    assert_problem(
        await client.post(f"{holds}/{late['id']}/review", json={"note": "x"}, headers=staff["cso"]),
        403,
    )
