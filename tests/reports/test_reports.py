from __future__ import annotations

import asyncio
import re

import pytest
import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from tests.factories import assert_problem, bearer, create_user, token_for
from tests.reports.helpers import URL, crime, make_staff, new_report, step


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def test_the_whole_workflow(client, db, staff):
    r = await new_report(client, staff)
    assert (r["status"], r["number"], len(r["persons"])) == ("draft", None, 3)
    assert_problem(await step(client, staff["sergeant"], r, "approve"), 409, "invalid_transition")
    assert (await step(client, staff["author"], r, "submit")).json()["status"] == "submitted"
    assert_problem(
        await step(client, staff["sergeant"], r, "return", {}), 422
    )  # a reason is needed
    r2 = await step(client, staff["sergeant"], r, "return", {"reason": "Add the serial number"})
    assert (r2.json()["status"], r2.json()["return_reason"]) == (
        "returned",
        "Add the serial number",
    )
    etag = r2.headers["etag"]
    upd = await client.patch(
        f"{URL}/{r['id']}",
        json={"narrative": "Window smashed; laptop SN 4411 taken."},
        headers=staff["author"] | {"If-Match": etag},
    )
    assert upd.status_code == 200, upd.text
    assert_problem(
        await client.patch(
            f"{URL}/{r['id']}",
            json={"narrative": "x"},
            headers=staff["author"] | {"If-Match": etag},
        ),
        412,
        "etag_mismatch",
    )
    assert (await step(client, staff["author"], r, "submit")).status_code == 200
    ok = await step(client, staff["sergeant"], r, "approve")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert_problem(
        await client.patch(
            f"{URL}/{r['id']}",
            json={"narrative": "late change"},
            headers=staff["author"] | {"If-Match": ok.headers["etag"]},
        ),
        409,
        "report_not_editable",
    )
    done = await step(client, staff["records"], r, "process")
    assert done.status_code == 200
    assert re.fullmatch(r"R\d{2}-\d{6}", done.json()["number"])
    assert_problem(await step(client, staff["records"], r, "process"), 409, "invalid_transition")
    types = db.scalars(
        sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == r["id"]).order_by(OutboxEvent.id)
    ).all()
    assert types == [
        "report.submitted",
        "report.returned",
        "report.submitted",
        "report.approved",
        "report.processed",
    ]


async def test_forbidden_actors_at_each_step(client, db, settings, staff):
    r = await new_report(client, staff)
    assert_problem(await client.post(URL, json=crime(), headers=staff["records"]), 403)
    assert_problem(await client.post(URL, json=crime(), headers=staff["cad"]), 403)
    assert_problem(
        await step(client, staff["other_cso"], r, "submit"), 404
    )  # their draft is hidden
    assert_problem(await step(client, staff["sergeant"], r, "submit"), 403, "author_only")
    await step(client, staff["author"], r, "submit")
    assert_problem(await step(client, staff["author"], r, "approve"), 403, "insufficient_scope")
    assert_problem(await step(client, staff["records"], r, "approve"), 403, "insufficient_scope")
    # A sergeant's own report: another sergeant must review it.
    sgt_report = (await client.post(URL, json=crime(), headers=staff["sergeant"])).json()
    await step(client, staff["sergeant"], sgt_report, "submit")
    assert_problem(
        await step(client, staff["sergeant"], sgt_report, "approve"), 403, "separation_of_duties"
    )
    assert_problem(
        await step(client, staff["sergeant"], sgt_report, "return", {"reason": "x"}),
        403,
        "separation_of_duties",
    )
    assert (await step(client, staff["other_sergeant"], sgt_report, "approve")).status_code == 200
    assert_problem(await step(client, staff["sergeant"], r, "process"), 403, "insufficient_scope")
    assert_problem(await step(client, staff["records"], r, "process"), 409, "invalid_transition")


async def test_drafts_are_hidden_from_others(client, staff):
    r = await new_report(client, staff)
    assert (await client.get(f"{URL}/{r['id']}", headers=staff["author"])).status_code == 200
    assert (await client.get(f"{URL}/{r['id']}", headers=staff["sergeant"])).status_code == 200
    for who in ("other_cso", "records"):
        assert_problem(
            await client.get(f"{URL}/{r['id']}", headers=staff[who]), 404, "report_not_found"
        )
        listed = (await client.get(URL, headers=staff[who])).json()["items"]
        assert r["id"] not in {x["id"] for x in listed}
    for who in ("cad", "portal"):
        assert_problem(await client.get(f"{URL}/{r['id']}", headers=staff[who]), 403)
    await step(client, staff["author"], r, "submit")
    assert (await client.get(f"{URL}/{r['id']}", headers=staff["other_cso"])).status_code == 200
    mine = (
        await client.get(
            URL, params={"author": "me", "status": "submitted"}, headers=staff["author"]
        )
    ).json()
    assert [x["id"] for x in mine["items"]] == [r["id"]]
    queue = (
        await client.get(URL, params={"status": "submitted"}, headers=staff["sergeant"])
    ).json()
    assert r["id"] in {x["id"] for x in queue["items"]}


async def test_incomplete_reports_cannot_be_submitted(client, staff):
    r = await new_report(client, staff, offense_code=None, narrative=None)
    body = assert_problem(
        await step(client, staff["author"], r, "submit"), 422, "report_incomplete"
    )
    assert body["missing"] == ["narrative", "offense_code"]
    col = (
        await client.post(
            URL,
            json={
                "kind": "collision",
                "narrative": "Rear-ended at light",
                "location": {"address": "5TH AVE / B ST"},
            },
            headers=staff["author"],
        )
    ).json()
    assert assert_problem(await step(client, staff["author"], col, "submit"), 422)["missing"] == [
        "vehicles"
    ]
    assert_problem(
        await client.post(URL, json=crime(offense_code="999"), headers=staff["author"]),
        422,
        "unknown_offense",
    )
    assert_problem(
        await client.post(
            URL,
            json=crime(occurred_from="2026-11-02T00:00:00Z", occurred_to="2026-11-01T00:00:00Z"),
            headers=staff["author"],
        ),
        422,
        "bad_time_window",
    )
    bad_vehicle = {
        "kind": "collision",
        "persons": [],
        "vehicles": [{"role": "Striking", "driver": 3}],
    }
    assert_problem(
        await client.post(URL, json=bad_vehicle, headers=staff["author"]), 422, "bad_driver"
    )


async def test_collision_with_vehicles_and_drivers(client, staff):
    body = {
        "kind": "collision",
        "hit_and_run": True,
        "narrative": "Parked car struck; other left.",
        "location": {"address": "900 BROADWAY"},
        "persons": [
            {"role": "driver", "name": "Dee Driver", "phone": "619-555-0123"},
            {"role": "owner", "name": "Owen Owner"},
        ],
        "vehicles": [
            {
                "role": "Struck",
                "plate": "7abc123",
                "plate_state": "ca",
                "make": "TOYT",
                "insurance": "Acme Mutual 123",
                "driver": 0,
            },
            {"role": "Striking", "color": "RED"},
        ],
    }
    r = (await client.post(URL, json=body, headers=staff["author"])).json()
    assert r["hit_and_run"] is True and r["vehicles"][0]["plate"] == "7ABC123"
    assert r["vehicles"][0]["driver"] == 0
    assert (await step(client, staff["author"], r, "submit")).status_code == 200


async def test_supplements_contacts_release_export_and_audit(client, db, staff):
    r = await new_report(client, staff)
    await step(client, staff["author"], r, "submit")
    assert_problem(
        await client.post(
            f"{URL}/{r['id']}/supplements", json={"narrative": "x"}, headers=staff["author"]
        ),
        409,
        "report_not_approved",
    )
    assert_problem(await client.get(f"{URL}/{r['id']}/release", headers=staff["records"]), 409)
    await step(client, staff["sergeant"], r, "approve")
    s = await client.post(
        f"{URL}/{r['id']}/supplements",
        json={"narrative": "Serial number 4411 confirmed."},
        headers=staff["author"],
    )
    assert s.status_code == 201
    assert_problem(
        await client.post(
            f"{URL}/{r['id']}/supplements", json={"narrative": "x"}, headers=staff["other_cso"]
        ),
        403,
        "author_or_sergeant",
    )
    c = await client.post(
        f"{URL}/{r['id']}/contacts",
        headers=staff["author"],
        json={
            "method": "phone",
            "at": "2026-11-03T10:00:00-08:00",
            "summary": "Victim told of case number",
        },
    )
    assert c.status_code == 201
    contacts = (await client.get(f"{URL}/{r['id']}/contacts", headers=staff["sergeant"])).json()
    assert [x["method"] for x in contacts] == ["phone"]
    full = (await client.get(f"{URL}/{r['id']}", headers=staff["records"])).json()
    assert full["supplements"][0]["narrative"] == "Serial number 4411 confirmed."
    assert full["persons"][0]["phone"] == "619-555-0111"  # the original is untouched

    rel = await client.get(
        f"{URL}/{r['id']}/release", headers=staff["records"] | {"X-Request-ID": "rel-1"}
    )
    assert rel.status_code == 200
    text = rel.text
    for secret in ("619-555-0111", "12 Oak St", "1980-02-03", "Kid Witness", "619-555-0199"):
        assert secret not in text, secret
    persons = rel.json()["persons"]
    assert persons[0]["name"] == "Rosa Victim" and persons[1]["name"] is None
    assert persons[2]["name"] == "Unknown male"
    assert rel.json()["redactions"] == ["juvenile names", "victim and witness contact data"]
    assert_problem(await client.get(f"{URL}/{r['id']}/release", headers=staff["sergeant"]), 403)
    row = db.scalars(sa.select(AuditEvent).where(AuditEvent.request_id == "rel-1")).one()
    assert row.action == "report.release"

    exp = await client.get(
        f"{URL}/export", params={"approved_since": "2026-01-01T00:00:00Z"}, headers=staff["cad"]
    )
    assert exp.status_code == 200
    assert [x["id"] for x in exp.json()["items"]] == [r["id"]]
    assert "619-555-0111" not in exp.text and "Kid Witness" not in exp.text
    assert_problem(await client.get(f"{URL}/export", headers=staff["author"]), 403)
    reads = db.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == r["id"])).all()
    assert {
        "report.create",
        "report.read",
        "report.approved",
        "report.supplement",
        "report.contact",
        "report.contacts.read",
        "report.release",
    } <= set(reads)


async def test_concurrent_processing_numbers_without_gaps(
    live_client, live_db, settings, postgres_only
):
    with live_db() as s:
        author = bearer(token_for(s, settings, create_user(s, settings, "cso")))
        sergeant = bearer(token_for(s, settings, create_user(s, settings, "sergeant")))
        clerks = [
            bearer(token_for(s, settings, create_user(s, settings, "records"))) for _ in range(4)
        ]
    ids = []
    for _ in range(20):
        r = (await live_client.post(URL, json=crime(), headers=author)).json()
        await live_client.post(f"{URL}/{r['id']}/submit", headers=author)
        await live_client.post(f"{URL}/{r['id']}/approve", headers=sergeant)
        ids.append(r["id"])
    results = await asyncio.gather(
        *[
            live_client.post(f"{URL}/{rid}/process", headers=clerks[i % 4])
            for i, rid in enumerate(ids)
        ]
    )
    assert [x.status_code for x in results] == [200] * 20
    seqs = sorted(int(x.json()["number"].split("-")[1]) for x in results)
    assert seqs == list(range(seqs[0], seqs[0] + 20))
    # Four clerks process the same approved report at once: one wins, the others get 409.
    r = (await live_client.post(URL, json=crime(), headers=author)).json()
    await live_client.post(f"{URL}/{r['id']}/submit", headers=author)
    await live_client.post(f"{URL}/{r['id']}/approve", headers=sergeant)
    race = await asyncio.gather(
        *[live_client.post(f"{URL}/{r['id']}/process", headers=c) for c in clerks]
    )
    assert sorted(x.status_code for x in race) == [200, 409, 409, 409]
    winner = next(x for x in race if x.status_code == 200).json()
    assert int(winner["number"].split("-")[1]) == seqs[-1] + 1  # no number burned by the losers


async def test_export_queries_do_not_grow_with_the_page(client, database, staff):
    async def approved():
        r = await new_report(client, staff)
        await step(client, staff["author"], r, "submit")
        await step(client, staff["sergeant"], r, "approve")

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    async def export_statements() -> int:
        statements.clear()
        sa.event.listen(database.engine, "before_cursor_execute", count)
        try:
            r = await client.get(f"{URL}/export", params={"limit": 500}, headers=staff["cad"])
            assert r.status_code == 200
        finally:
            sa.event.remove(database.engine, "before_cursor_execute", count)
        return len(statements)

    await approved()
    one = await export_statements()
    for _ in range(5):
        await approved()
    assert await export_statements() == one  # persons, vehicles, supplements: one query each
