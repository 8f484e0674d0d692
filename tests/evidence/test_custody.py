from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from csoapi.core.events import OutboxEvent
from csoapi.evidence.models import CustodyEvent
from tests.evidence.helpers import URL, custody, intake, make_staff, storage
from tests.factories import assert_problem


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def _chain(client, staff, item):
    r = await client.get(f"{URL}/{item['id']}/custody", headers=staff["cso"])
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _verify(client, staff, item):
    r = await client.get(f"{URL}/{item['id']}/custody/verify", headers=staff["cso"])
    assert r.status_code == 200, r.text
    return r.json()


async def test_custody_needs_write_scope(client, staff, db, settings):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    body = {"action": "move", "to_location": s["bins"][1]["id"], "reason": "x"}
    assert_problem(await client.post(f"{URL}/{item['id']}/custody", json=body), 401)
    assert_problem(
        await client.post(f"{URL}/{item['id']}/custody", json=body, headers=staff["admin"]), 403
    )
    assert_problem(await client.get(f"{URL}/{item['id']}/custody/verify"), 401)


async def test_a_life_in_custody(client, db, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    other = str(staff["other_user"].id)
    steps = [
        {"action": "move", "to_location": s["bins"][1]["id"], "reason": "Re-shelved"},
        {"action": "check_out", "to_holder": other, "reason": "Photographs"},
        {"action": "transfer", "to_holder": str(staff["cso_user"].id), "reason": "Hand-off"},
        {"action": "lab_submit", "to_party": "County crime lab", "reason": "Latent prints"},
        {"action": "court", "to_party": "Dept 12", "reason": "Trial exhibit"},
        {"action": "check_in", "to_location": s["bins"][0]["id"], "reason": "Back from court"},
    ]
    for i, body in enumerate(steps, start=2):
        r = await custody(client, staff, item, **body)
        assert r.status_code == 201, r.text
        assert r.json()["seq"] == i
    events = await _chain(client, staff, item)
    assert [e["action"] for e in events] == [
        "intake",
        "move",
        "check_out",
        "transfer",
        "lab_submit",
        "court",
        "check_in",
    ]
    for before, after in zip(events, events[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert events[2]["from_location_id"] == s["bins"][1]["id"]
    assert events[3]["from_holder_id"] == other
    got = (await client.get(f"{URL}/{item['id']}", headers=staff["cso"])).json()
    assert got["status"] == "in_custody" and got["current_location"]["id"] == s["bins"][0]["id"]
    assert got["custody_events"] == 7 and got["custody_head"] == events[-1]["hash"]
    v = await _verify(client, staff, item)
    assert v == {
        "valid": True,
        "events": 7,
        "head": events[-1]["hash"],
        "broken_at": None,
        "why": None,
    }
    types = db.scalars(
        sa.select(OutboxEvent.type)
        .where(OutboxEvent.entity_id == item["id"])
        .order_by(OutboxEvent.id)
    ).all()
    assert types == ["evidence.intake"] + ["evidence.custody_changed"] * 6


async def test_steps_out_of_order_and_bad_targets(client, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    other = str(staff["other_user"].id)
    r = await custody(
        client, staff, item, action="check_in", to_location=s["bins"][1]["id"], reason="x"
    )
    body = assert_problem(r, 409, "invalid_transition")
    assert body["current_status"] == "in_custody"
    assert_problem(
        await custody(client, staff, item, action="transfer", to_holder=other, reason="x"),
        409,
        "invalid_transition",
    )
    assert_problem(
        await custody(client, staff, item, action="move", to_holder=other, reason="x"),
        422,
        "custody_target",
    )
    assert_problem(
        await custody(
            client,
            staff,
            item,
            action="move",
            reason="x",
            to_location=s["bins"][1]["id"],
            to_holder=other,
        ),
        422,
        "custody_target",
    )
    assert_problem(
        await custody(
            client,
            staff,
            item,
            action="check_out",
            reason="x",
            to_holder="00000000-0000-4000-8000-000000000000",
        ),
        422,
        "unknown_holder",
    )
    assert_problem(
        await custody(client, staff, item, action="move", to_location=s["bins"][1]["id"]), 422
    )  # a reason is required
    assert_problem(
        await custody(
            client, staff, item, action="intake", reason="x", to_location=s["bins"][1]["id"]
        ),
        422,
    )
    assert_problem(
        await custody(
            client,
            staff,
            item,
            action="move",
            reason="x",
            to_location=s["bins"][1]["id"],
            at="2026-01-01T00:00:00Z",
        ),
        422,
        "before_intake",
    )
    assert (await _verify(client, staff, item))["events"] == 1


async def test_if_match_on_custody(client, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    body = {"action": "move", "to_location": s["bins"][1]["id"], "reason": "x"}
    h = staff["cso"] | {"If-Match": '"1"'}
    assert (
        await client.post(f"{URL}/{item['id']}/custody", json=body, headers=h)
    ).status_code == 201
    assert_problem(await client.post(f"{URL}/{item['id']}/custody", json=body, headers=h), 412)


async def test_a_keyed_custody_append_retried_is_appended_once(client, staff):
    """A retry (the first answer lost) with its Idempotency-Key replays the first event, even
    with the If-Match it first sent; the key with another body is refused."""
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    body = {"action": "move", "to_location": s["bins"][1]["id"], "reason": "Re-shelved"}
    h = staff["cso"] | {"Idempotency-Key": "move-once", "If-Match": '"1"'}
    first = await client.post(f"{URL}/{item['id']}/custody", json=body, headers=h)
    assert first.status_code == 201, first.text
    again = await client.post(f"{URL}/{item['id']}/custody", json=body, headers=h)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["etag"] == first.headers["etag"]
    assert [e["seq"] for e in await _chain(client, staff, item)] == [1, 2]
    other = body | {"to_location": s["bins"][0]["id"]}
    reused = await client.post(f"{URL}/{item['id']}/custody", json=other, headers=h)
    assert_problem(reused, 422, "idempotency_key_reused")
    scan = {"barcodes": [item["barcode"]], "action": "move", "to_location": s["bins"][0]["id"]}
    scan["reason"] = "Back"
    bulk_h = staff["cso"] | {"Idempotency-Key": "scan-once"}
    done = [await client.post(f"{URL}/custody/bulk", json=scan, headers=bulk_h) for _ in (1, 2)]
    assert [r.status_code for r in done] == [200, 200], done[0].text
    assert done[1].json() == done[0].json() and "idempotent-replayed" in done[1].headers
    assert [e["seq"] for e in await _chain(client, staff, item)] == [1, 2, 3]


def _tamper(db, database, stmt):
    """Change custody rows as an insider with the trigger out of the way would."""
    if database.is_postgres:
        db.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.execute(stmt)
    db.commit()


async def test_tampering_names_the_first_broken_seq(client, db, database, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    for i in range(4):
        r = await custody(
            client,
            staff,
            item,
            action="move",
            reason=f"shuffle {i}",
            to_location=s["bins"][i % 2]["id"],
        )
        assert r.status_code == 201
    assert (await _verify(client, staff, item))["valid"]
    rows = CustodyEvent.__table__
    _tamper(
        db,
        database,
        sa.update(rows)
        .where(rows.c.item_id == uuid.UUID(item["id"]), rows.c.seq == 3)
        .values(reason="nothing to see"),
    )
    v = await _verify(client, staff, item)
    assert (v["valid"], v["broken_at"], v["why"]) == (False, 3, "hash does not match the event")
    # the forger recomputes row 3's hash: the next link no longer holds
    row = db.scalars(
        sa.select(CustodyEvent).where(
            CustodyEvent.item_id == uuid.UUID(item["id"]), CustodyEvent.seq == 3
        )
    ).one()
    from csoapi.evidence import chain

    new_hash = chain.digest(row)
    db.expunge_all()
    _tamper(db, database, sa.update(rows).where(rows.c.id == row.id).values(hash=new_hash))
    v = await _verify(client, staff, item)
    assert (v["valid"], v["broken_at"]) == (False, 4)


async def test_a_deleted_tail_is_noticed(client, db, database, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    await custody(client, staff, item, action="move", reason="x", to_location=s["bins"][1]["id"])
    rows = CustodyEvent.__table__
    _tamper(
        db,
        database,
        sa.delete(rows).where(rows.c.item_id == uuid.UUID(item["id"]), rows.c.seq == 2),
    )
    v = await _verify(client, staff, item)
    assert (v["valid"], v["broken_at"]) == (False, 2)


async def test_postgres_refuses_changing_custody_rows(client, db, staff, postgres_only):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    rows = CustodyEvent.__table__
    for stmt in (
        sa.update(rows).where(rows.c.item_id == uuid.UUID(item["id"])).values(reason="tampered"),
        sa.delete(rows).where(rows.c.item_id == uuid.UUID(item["id"])),
        sa.text("TRUNCATE custody_event CASCADE"),
    ):
        with pytest.raises(DBAPIError) as info, db.begin_nested():
            db.execute(stmt)
        assert "append-only" in str(info.value)
    db.rollback()
    assert (await _verify(client, staff, item))["valid"]


async def test_concurrent_appends_to_one_item_never_fork(
    live_client, live_db, settings, postgres_only
):
    with live_db() as session:
        staff = make_staff(session, settings)
    s = await storage(live_client, staff)
    item = await intake(live_client, staff, s["bins"][0])
    n = 12
    results = await asyncio.gather(
        *[
            custody(
                live_client,
                staff,
                item,
                action="move",
                reason=f"mover {i}",
                to_location=s["bins"][i % 2]["id"],
            )
            for i in range(n)
        ]
    )
    assert [r.status_code for r in results] == [201] * n, [r.text for r in results]
    assert sorted(r.json()["seq"] for r in results) == list(range(2, n + 2))
    with live_db() as session:
        rows = session.scalars(
            sa.select(CustodyEvent).where(CustodyEvent.item_id == uuid.UUID(item["id"]))
        ).all()
    assert len({r.seq for r in rows}) == len(rows) == n + 1
    assert len({r.prev_hash for r in rows}) == n + 1  # no two events link to one parent
    v = await _verify(live_client, staff, item)
    assert (v["valid"], v["events"]) == (True, n + 1)
