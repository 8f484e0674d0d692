"""Owner notices (document, SHA-256, outcomes) and the post-storage hearing (window,
separation of duties, the fee waiver)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from csoapi.core.events import OutboxEvent
from csoapi.core.models import utcnow
from tests.factories import assert_problem
from tests.impounds.helpers import URL, make_staff, new_impound, post


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


def ago(**kw) -> str:
    return (utcnow() - timedelta(**kw)).isoformat()


async def towed(client, headers, **kw):
    return await new_impound(client, headers, towed_at=ago(hours=30), **kw)


NOTICE = {"to": "registered_owner", "method": "certified_mail", "addressee": "Rosa Owner"}


async def test_a_notice_is_recorded_with_its_hash_and_meets_the_deadline(client, db, staff):
    i = await towed(client, staff["cso"])
    body = NOTICE | {"mailed_at": ago(hours=2)}
    assert_problem(await post(client, staff["cso"], i, "notices", body), 403)
    assert_problem(
        await post(client, staff["records"], i, "notices", NOTICE | {"mailed_at": ago(hours=40)}),
        422,
        "before_tow",
    )
    r = await post(client, staff["records"], i, "notices", body)
    assert r.status_code == 201, r.text
    n = r.json()
    canonical = json.dumps(n["document"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert n["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    doc = n["document"]
    assert (doc["impound_number"], doc["authority"], doc["vehicle"]["plate"]) == (
        i["number"],
        "CVC 22651(i)",
        "7ABC123",
    )
    assert "22852" in doc["hearing"]["citation"]
    event = db.scalars(
        sa.select(OutboxEvent).where(OutboxEvent.type == "impound.notice_mailed")
    ).one()
    assert event.payload["sha256"] == n["sha256"]
    shown = (await client.get(f"{URL}/{i['id']}", headers=staff["cso"])).json()
    notice_rule = [d for d in shown["deadlines"] if d["rule_id"] == "ca-22852-owner-notice"]
    assert notice_rule[0]["status"] == "met"
    window = [d for d in shown["deadlines"] if d["kind"] == "owner_window"]
    assert window and window[0]["status"] == "open"
    one = await client.get(f"{URL}/{i['id']}/notices/{n['id']}", headers=staff["cso"])
    assert one.json()["sha256"] == n["sha256"]
    listed = await client.get(f"{URL}/{i['id']}/notices", headers=staff["records"])
    assert [x["id"] for x in listed.json()] == [n["id"]]
    pdf = await client.get(f"{URL}/{i['id']}/notices/{n['id']}/pdf", headers=staff["cso"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.content).hexdigest() == n["pdf_sha256"] == event.payload["pdf_sha256"]
    assert_problem(
        await client.get(f"{URL}/{i['id']}/notices/{n['id']}/pdf", headers=staff["cad"]), 403
    )
    other = await towed(client, staff["cso"])
    assert_problem(
        await client.get(f"{URL}/{other['id']}/notices/{n['id']}/pdf", headers=staff["cso"]), 404
    )


async def test_a_returned_notice_starts_the_doj_clock(client, staff):
    i = await towed(client, staff["cso"])
    n = (
        await post(client, staff["records"], i, "notices", NOTICE | {"mailed_at": ago(hours=3)})
    ).json()
    url = f"notices/{n['id']}/outcome"
    assert_problem(await post(client, staff["records"], i, url, {"outcome": "lost"}), 422)
    r = await post(client, staff["records"], i, url, {"outcome": "returned", "at": ago(hours=1)})
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["outcome_at"] is not None) == ("returned", True)
    again = await post(client, staff["records"], i, url, {"outcome": "delivered"})
    assert_problem(again, 409, "notice_outcome_recorded")
    shown = (await client.get(f"{URL}/{i['id']}", headers=staff["cso"])).json()
    doj = [d for d in shown["deadlines"] if d["rule_id"] == "ca-22853-doj-unascertained"]
    assert doj and doj[0]["status"] == "open"
    step = await post(client, staff["records"], i, "steps", {"step": "doj_notified"})
    assert step.status_code == 200, step.text
    doj = [d for d in step.json()["deadlines"] if d["rule_id"] == "ca-22853-doj-unascertained"]
    assert doj[0]["status"] == "met"


async def test_the_hearing_and_its_separation_of_duties(client, staff):
    i = await towed(client, staff["directing_sergeant"])  # a sergeant directed this storage
    assert_problem(
        await post(
            client, staff["records"], i, "hearing/outcome", {"outcome": "valid", "reason": "x"}
        ),
        403,
    )
    assert_problem(
        await post(
            client, staff["sergeant"], i, "hearing/outcome", {"outcome": "valid", "reason": "x"}
        ),
        409,
        "no_hearing_requested",
    )
    ask = {"requested_at": ago(hours=1), "requested_by": "Rosa Owner"}
    assert_problem(await post(client, staff["cso"], i, "hearing", ask), 403)
    r = await post(client, staff["records"], i, "hearing", ask)
    assert r.status_code == 200, r.text
    hearing_rule = [d for d in r.json()["deadlines"] if d["rule_id"] == "ca-22852-hearing"]
    assert hearing_rule[0]["status"] == "open"
    assert_problem(
        await post(client, staff["records"], i, "hearing", ask), 409, "hearing_requested"
    )
    later = (utcnow() + timedelta(days=1)).isoformat()
    s = await post(client, staff["records"], i, "hearing/schedule", {"at": later})
    assert s.status_code == 200, s.text
    decide = {"outcome": "invalid", "reason": "No sign posted"}
    assert_problem(
        await post(client, staff["sergeant"], i, "hearing/outcome", decide), 409, "hearing_not_held"
    )
    await post(client, staff["records"], i, "hearing/schedule", {"at": ago(minutes=5)})
    assert_problem(
        await post(client, staff["directing_sergeant"], i, "hearing/outcome", decide),
        409,
        "separation_of_duties",
    )
    before = (await client.get(f"{URL}/{i['id']}/fees", headers=staff["records"])).json()
    d = await post(client, staff["sergeant"], i, "hearing/outcome", decide)
    assert d.status_code == 200, d.text
    assert d.json()["hearing"]["outcome"] == "invalid"
    held = [x for x in d.json()["deadlines"] if x["rule_id"] == "ca-22852-hearing"]
    assert held[0]["status"] == "met"
    after = (await client.get(f"{URL}/{i['id']}/fees", headers=staff["records"])).json()
    lines = {line["code"]: line for line in after["lines"]}
    assert lines["tow"]["waived"] and lines["tow"]["amount_cents"] == 0
    assert lines["storage"]["waived"] and lines["storage"]["amount_cents"] == 0
    assert not lines["admin"]["waived"] and lines["admin"]["amount_cents"] > 0
    waived = sum(x["amount_cents"] for x in before["lines"] if x["code"] in ("tow", "storage"))
    assert after["total_cents"] == before["total_cents"] - waived
    assert_problem(
        await post(client, staff["sergeant"], i, "hearing/outcome", decide), 409, "hearing_decided"
    )


async def test_the_hearing_window_closes(client, staff):
    i = await new_impound(client, staff["cso"], towed_at=ago(days=30))
    await post(client, staff["records"], i, "notices", NOTICE | {"mailed_at": ago(days=29)})
    late = {"requested_at": ago(hours=1), "requested_by": "Rosa Owner"}
    body = assert_problem(
        await post(client, staff["records"], i, "hearing", late), 409, "hearing_window_closed"
    )
    assert "22852" in body["citation"]
    shown = (await client.get(f"{URL}/{i['id']}", headers=staff["cso"])).json()
    window = [d for d in shown["deadlines"] if d["kind"] == "owner_window"]
    assert window[0]["status"] == "missed"
