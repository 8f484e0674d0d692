"""The call timeline (``timeline/``): a call's own history and every feature's records that
name the call, in time order."""

from __future__ import annotations

from tests.calls.helpers import CALLS
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import assert_problem, everyone


async def test_citations_and_reports_join_their_call_timeline(client, db, settings):
    schedule(db, settings)
    team = everyone(db, settings)
    cso, sergeant = team["cso"].headers, team["sergeant"].headers
    call = (
        await client.post(
            CALLS,
            headers=sergeant,
            json={"source": "phone", "call_type": "PARKING", "location": {"address": "1 Main St"}},
        )
    ).json()
    c = (await client.post(CITATIONS, json=citation_body(call_id=call["id"]), headers=cso)).json()
    timeline = (await client.get(f"{CALLS}/{call['id']}/timeline", headers=cso)).json()
    linked = [e for e in timeline["items"] if e["record_type"] == "citation"]
    assert [(e["record_id"], e["kind"]) for e in linked] == [(c["id"], "citation_issued")]
    report = (
        await client.post(
            "/api/v1/reports",
            headers=cso,
            json={"kind": "incident", "call_id": call["id"], "narrative": "Owner moved the car"},
        )
    ).json()
    timeline = (await client.get(f"{CALLS}/{call['id']}/timeline", headers=cso)).json()
    assert [e["record_id"] for e in timeline["items"] if e["record_type"] == "report"] == [
        report["id"]
    ]
    ats = [e["at"] for e in timeline["items"]]
    assert ats == sorted(ats)


async def test_the_timeline_needs_calls_read_and_a_real_call(client, db, settings):
    team = everyone(db, settings)
    missing = f"{CALLS}/00000000-0000-4000-8000-000000000000/timeline"
    assert_problem(await client.get(missing), 401)
    assert_problem(await client.get(missing, headers=team["payment_portal"].headers), 403)
    assert_problem(await client.get(missing, headers=team["cso"].headers), 404, "call_not_found")
