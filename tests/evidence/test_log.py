"""The transparency log over HTTP, checked the way an outside expert would: only the RFC 9162
algorithms (``evidence.merkle``'s verifiers), the published key and what the API returned."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from csoapi.evidence import chain, merkle, signing
from csoapi.evidence.models import (
    CustodyEvent,
    CustodyLogEntry,
    CustodyLogHead,
    CustodyLogNode,
    EvidenceItem,
)
from tests.evidence.helpers import URL, custody, intake, make_staff, storage
from tests.factories import assert_problem

LOG = f"{URL}/log"


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


def signed(head: dict, key: str) -> bool:
    doc = {k: head[k] for k in ("root_hash", "timestamp", "tree_size")}
    return signing.verify(key, doc, head["signature"])


def proves(event: dict, proof: dict, head: dict) -> bool:
    leaf = merkle.leaf_hash(bytes.fromhex(event["hash"]))
    path = [bytes.fromhex(p) for p in proof["audit_path"]]
    return merkle.verify_inclusion(
        proof["leaf_index"], head["tree_size"], leaf, path, bytes.fromhex(head["root_hash"])
    )


async def _events(client, staff, item):
    r = await client.get(f"{URL}/{item['id']}/custody", headers=staff["cso"])
    return r.json()["items"]


async def _moves(client, staff, s, item, n):
    for i in range(n):
        r = await custody(
            client, staff, item, action="move", reason=f"m{i}", to_location=s["bins"][i % 2]["id"]
        )
        assert r.status_code == 201, r.text


async def test_heads_proofs_and_the_published_key(client, staff):
    key = await client.get(f"{LOG}/key")  # no token needed
    assert key.status_code == 200
    assert key.json()["algorithm"] == "Ed25519"
    pub = key.json()["public_key"]
    assert_problem(await client.get(f"{LOG}/head"), 401)
    assert_problem(await client.get(f"{LOG}/head", headers=staff["admin"]), 403)
    empty = (await client.get(f"{LOG}/head", headers=staff["cso"])).json()
    assert empty["tree_size"] == 0 and signed(empty, pub)
    s = await storage(client, staff)
    a = await intake(client, staff, s["bins"][0])
    b = await intake(client, staff, s["bins"][0])
    await _moves(client, staff, s, a, 3)
    first = (await client.get(f"{LOG}/head", headers=staff["cso"])).json()
    assert first["tree_size"] == 5 and signed(first, pub)
    again = (await client.get(f"{LOG}/head", headers=staff["cso"])).json()
    assert again == first  # nothing new: the same published head
    await _moves(client, staff, s, b, 4)
    second = (await client.get(f"{LOG}/head", headers=staff["records"])).json()
    assert second["tree_size"] == 9 and signed(second, pub)
    for item in (a, b):
        for e in await _events(client, staff, item):
            r = await client.get(
                f"{URL}/{item['id']}/custody/{e['seq']}/proof", headers=staff["cso"]
            )
            assert r.status_code == 200, r.text
            assert r.json()["head"] == second and proves(e, r.json(), second)
    # against the earlier head: a's events are in it, b's later ones are not
    ea = await _events(client, staff, a)
    old = await client.get(
        f"{URL}/{a['id']}/custody/4/proof", params={"tree_size": 5}, headers=staff["cso"]
    )
    assert old.status_code == 200 and proves(ea[3], old.json(), first)
    assert not proves(ea[3] | {"hash": "00" * 32}, old.json(), first)
    late = await client.get(
        f"{URL}/{b['id']}/custody/5/proof", params={"tree_size": 5}, headers=staff["cso"]
    )
    assert_problem(late, 409, "not_in_tree")
    assert_problem(
        await client.get(
            f"{URL}/{a['id']}/custody/1/proof", params={"tree_size": 6}, headers=staff["cso"]
        ),
        404,
        "head_not_found",
    )
    assert_problem(
        await client.get(f"{URL}/{a['id']}/custody/99/proof", headers=staff["cso"]),
        404,
        "event_not_found",
    )
    c = await client.get(f"{LOG}/consistency", params={"from": 5, "to": 9}, headers=staff["cso"])
    assert c.status_code == 200, c.text
    proof = [bytes.fromhex(p) for p in c.json()["proof"]]
    assert merkle.verify_consistency(
        5, 9, bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"]), proof
    )
    assert_problem(
        await client.get(f"{LOG}/consistency", params={"from": 9, "to": 5}, headers=staff["cso"]),
        422,
        "bad_tree_sizes",
    )
    assert_problem(
        await client.get(f"{LOG}/consistency", params={"from": 1, "to": 99}, headers=staff["cso"]),
        404,
        "tree_not_found",
    )


def _rewrite(db, database, item_id: uuid.UUID, seq: int, reason: str) -> None:
    """An insider with the triggers off rewrites an event, recomputes its hash and every
    later link and the item's tip, and rebuilds the whole log from the rewritten events."""
    if database.is_postgres:
        db.execute(sa.text("SET LOCAL session_replication_role = replica"))
    events = db.scalars(
        sa.select(CustodyEvent).where(CustodyEvent.item_id == item_id).order_by(CustodyEvent.seq)
    ).all()
    prev = chain.GENESIS
    table = CustodyEvent.__table__
    for e in events:
        if e.seq == seq:
            e.reason = reason
        e.prev_hash = prev
        e.hash = chain.digest(e)
        prev = e.hash
        db.execute(
            sa.update(table)
            .where(table.c.id == e.id)
            .values(reason=e.reason, prev_hash=e.prev_hash, hash=e.hash)
        )
    items = EvidenceItem.__table__
    db.execute(sa.update(items).where(items.c.id == item_id).values(custody_head=prev))
    for model in (CustodyLogHead, CustodyLogNode, CustodyLogEntry):
        db.execute(sa.delete(model.__table__))
    db.commit()
    db.expunge_all()


async def test_a_recomputed_history_fails_against_a_kept_head(client, db, database, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0])
    await _moves(client, staff, s, item, 3)
    kept = (await client.get(f"{LOG}/head", headers=staff["cso"])).json()
    events = await _events(client, staff, item)
    proof = (await client.get(f"{URL}/{item['id']}/custody/2/proof", headers=staff["cso"])).json()
    assert proves(events[1], proof, kept)

    # Rewriting only the event (its hash recomputed, the chain relinked): the log disagrees.
    _rewrite_event_only(db, database, uuid.UUID(item["id"]))
    v = (await client.get(f"{URL}/{item['id']}/custody/verify", headers=staff["cso"])).json()
    assert (v["valid"], v["broken_at"]) == (False, 2)
    assert "transparency log" in v["why"]

    # Rebuilding the log too: the chain verifies again, but not against the head kept outside.
    _rewrite(db, database, uuid.UUID(item["id"]), 2, "nothing happened")
    v = (await client.get(f"{URL}/{item['id']}/custody/verify", headers=staff["cso"])).json()
    assert v["valid"]
    forged = (await client.get(f"{LOG}/head", headers=staff["cso"])).json()
    assert forged["tree_size"] == kept["tree_size"] and forged["root_hash"] != kept["root_hash"]
    events = await _events(client, staff, item)
    proof = (await client.get(f"{URL}/{item['id']}/custody/2/proof", headers=staff["cso"])).json()
    assert proves(events[1], proof, forged) and not proves(events[1], proof, kept)


def _rewrite_event_only(db, database, item_id: uuid.UUID) -> None:
    if database.is_postgres:
        db.execute(sa.text("SET LOCAL session_replication_role = replica"))
    events = db.scalars(
        sa.select(CustodyEvent).where(CustodyEvent.item_id == item_id).order_by(CustodyEvent.seq)
    ).all()
    table, prev = CustodyEvent.__table__, chain.GENESIS
    for e in events:
        if e.seq == 2:
            e.reason = "quietly changed"
        e.prev_hash, e.hash = prev, ""
        e.hash = chain.digest(e)
        prev = e.hash
        db.execute(
            sa.update(table)
            .where(table.c.id == e.id)
            .values(reason=e.reason, prev_hash=e.prev_hash, hash=e.hash)
        )
    items = EvidenceItem.__table__
    db.execute(sa.update(items).where(items.c.id == item_id).values(custody_head=prev))
    db.commit()
    db.expunge_all()
