"""Referrals: consent, the closed loop (who may set which status), the provider's view
(BOLA), follow-ups, stale, privacy for every role, audit, events and purge."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from csoapi.core.audit import AuditEvent
from csoapi.core.events import OutboxEvent
from csoapi.referrals.models import Referral, ReferralDisclosure
from tests.factories import assert_problem, headers_for
from tests.referrals.helpers import PERSON_NAME, consent, referral_body, world

NO_ID = "00000000-0000-4000-8000-000000000000"


async def test_anonymous_is_401(client):
    for method, path in [
        ("GET", "/api/v1/referrals"),
        ("POST", "/api/v1/referrals"),
        ("GET", f"/api/v1/referrals/{NO_ID}"),
        ("POST", f"/api/v1/referrals/{NO_ID}/status"),
        ("GET", f"/api/v1/referrals/{NO_ID}/fhir"),
        ("GET", f"/api/v1/referrals/{NO_ID}/disclosures"),
        ("POST", f"/api/v1/referrals/{NO_ID}/purge"),
    ]:
        assert_problem(await client.request(method, path, json={}), 401)


@pytest.mark.parametrize("role", ["records", "admin", "cad", "payment_portal"])
async def test_the_privacy_matrix_refuses_every_other_role(client, db, settings, role):
    w = await world(client, db, settings)
    ref = await w.refer()
    h = headers_for(db, settings, role)
    rid = ref["id"]
    for method, path, body in [
        ("GET", "/api/v1/referrals", None),
        ("GET", f"/api/v1/referrals/{rid}", None),
        ("GET", f"/api/v1/referrals/{rid}/fhir", None),
        ("GET", f"/api/v1/referrals/{rid}/disclosures", None),
        ("POST", f"/api/v1/referrals/{rid}/status", {"status": "cancelled", "status_reason": "x"}),
        ("POST", "/api/v1/referrals", referral_body(w.service["id"])),
        ("POST", f"/api/v1/referrals/{rid}/follow-ups", {"due_at": "2030-01-01T00:00:00Z"}),
        ("POST", f"/api/v1/referrals/{rid}/purge", {"reason": "asked"}),
    ]:
        r = await client.request(method, path, json=body, headers=h)
        assert_problem(r, 403)
        assert PERSON_NAME not in r.text


async def test_a_cso_refers_with_consent_and_the_read_is_audited(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    assert ref["status"] == "requested" and ref["requested_at"]
    assert ref["organization_id"] == w.org["id"]
    assert ref["person"]["name"] == PERSON_NAME and ref["consent"]["valid"] is True
    r = await client.get(f"/api/v1/referrals/{ref['id']}", headers=w.sergeant)
    assert r.status_code == 200 and r.json()["person"]["name"] == PERSON_NAME
    reads = db.exec(select(AuditEvent).where(AuditEvent.action == "referral.read")).all()
    assert [a.entity_id for a in reads] == [ref["id"]]
    r = await client.get("/api/v1/referrals", headers=w.cso)
    assert [i["id"] for i in r.json()["items"]] == [ref["id"]]
    lists = db.exec(select(AuditEvent).where(AuditEvent.action == "referral.list")).all()
    assert len(lists) == 1 and lists[0].detail["count"] == 1


async def test_sending_needs_valid_consent_naming_the_organization(client, db, settings):
    w = await world(client, db, settings)
    post = lambda body: client.post("/api/v1/referrals", json=body, headers=w.cso)  # noqa: E731
    body = referral_body(w.service["id"], status="requested")
    assert_problem(await post(body), 409, "consent_required")
    elsewhere = referral_body(w.service["id"], w.other_org["id"], status="requested")
    assert_problem(await post(elsewhere), 409, "consent_required")
    now = datetime.now(UTC)
    past = consent(w.org["id"], at=(now - timedelta(days=9)).isoformat(),
                   expires_at=(now - timedelta(days=1)).isoformat())  # fmt: skip
    assert_problem(await post({**body, "consent": past}), 422, "consent_expired")
    backwards = consent(w.org["id"], expires_at=(now - timedelta(days=30)).isoformat())
    assert_problem(await post({**body, "consent": backwards}), 422)
    # A draft needs no consent; sending it later does.
    draft = (await post(referral_body(w.service["id"]))).json()
    assert draft["status"] == "draft" and draft["consent"] is None
    r = await w.status(draft, w.cso, status="requested")
    assert_problem(r, 409, "consent_required")
    r = await client.post(
        f"/api/v1/referrals/{draft['id']}/consent", json=consent(w.org["id"]), headers=w.cso
    )
    assert r.status_code == 200, r.text
    r = await w.status(draft, w.cso, status="requested")
    assert r.status_code == 200 and r.json()["status"] == "requested"


async def test_substance_use_needs_written_consent(client, db, settings):
    w = await world(client, db, settings)
    body = referral_body(w.service["id"], w.org["id"], needs=["substance_use"])
    r = await client.post("/api/v1/referrals", json=body, headers=w.cso)
    assert_problem(r, 422, "written_consent_required")
    body["consent"]["type"] = "written"
    assert (await client.post("/api/v1/referrals", json=body, headers=w.cso)).status_code == 201


async def test_who_may_set_which_status(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    # The requester may not accept; the provider may not cancel.
    assert_problem(await w.status(ref, w.cso, status="accepted"), 403, "status_not_yours")
    r = await w.status(ref, w.provider, status="cancelled", status_reason="no")
    assert_problem(r, 403, "status_not_yours")
    assert_problem(await w.status(ref, w.provider, status="completed"), 409, "invalid_transition")
    r = await w.status(ref, w.provider, status="accepted")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert_problem(await w.status(ref, w.provider, status="on_hold"), 422, "status_reason_required")
    r = await w.status(ref, w.provider, status="on_hold", status_reason="Waiting for a bed")
    assert r.status_code == 200
    r = await w.status(ref, w.provider, status="in_progress")
    assert r.status_code == 200
    r = await w.status(ref, w.provider, status="completed", outcome="services_provided")
    assert_problem(r, 422, "outcome_required")
    r = await w.status(
        ref, w.provider, status="completed", outcome="services_provided", need_met="fully"
    )
    assert r.status_code == 200
    staff = (await client.get(f"/api/v1/referrals/{ref['id']}", headers=w.cso)).json()
    assert staff["status"] == "completed" and staff["closed_at"] and staff["acknowledged_at"]
    assert staff["outcome"] == "services_provided" and staff["need_met"] == "fully"
    assert_problem(await w.status(ref, w.provider, status="in_progress"), 409)
    r = await w.status(ref, w.cso, status="entered_in_error")
    assert r.status_code == 200


async def test_status_change_honours_if_match(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    stale = {**w.provider, "If-Match": '"99"'}
    assert_problem(await w.status(ref, stale, status="accepted"), 412)
    fresh = {**w.provider, "If-Match": f'"{ref["version"]}"'}
    assert (await w.status(ref, fresh, status="accepted")).status_code == 200


async def test_the_provider_sees_only_its_consented_referrals(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    draft = await w.refer(send=False)
    other = await w.refer(service_id=w.other_service["id"],
                          consent=consent(w.other_org["id"]))  # fmt: skip
    mine = (await client.get("/api/v1/referrals", headers=w.provider)).json()["items"]
    assert [i["id"] for i in mine] == [ref["id"]]
    seen = mine[0]
    assert seen["person"]["name"] == PERSON_NAME and seen["person"]["date_of_birth"] is None
    assert seen["narrative"] is None and "organization_id" not in seen  # not shared
    for rid in (draft["id"], other["id"], NO_ID):
        assert_problem(await client.get(f"/api/v1/referrals/{rid}", headers=w.provider), 404)
        r = await w.status({"id": rid}, w.provider, status="accepted")
        assert_problem(r, 404)
        assert_problem(await client.get(f"/api/v1/referrals/{rid}/fhir", headers=w.provider), 404)
    r = await client.get(f"/api/v1/referrals/{other['id']}", headers=w.other_provider)
    assert r.status_code == 200
    # The provider may not see disclosures or write staff's parts.
    assert_problem(await client.get(f"/api/v1/referrals/{ref['id']}/disclosures",
                                    headers=w.provider), 403)  # fmt: skip
    body = referral_body(w.service["id"])
    assert_problem(await client.post("/api/v1/referrals", json=body, headers=w.provider), 403)


async def test_revoking_consent_ends_the_providers_view(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    assert (
        await client.get(f"/api/v1/referrals/{ref['id']}", headers=w.provider)
    ).status_code == 200
    r = await client.post(f"/api/v1/referrals/{ref['id']}/consent/revoke", headers=w.cso)
    assert r.status_code == 200 and r.json()["consent"]["valid"] is False
    assert_problem(await client.get(f"/api/v1/referrals/{ref['id']}", headers=w.provider), 404)
    assert (await client.get("/api/v1/referrals", headers=w.provider)).json()["items"] == []
    r = await client.post(f"/api/v1/referrals/{ref['id']}/consent/revoke", headers=w.cso)
    assert_problem(r, 409, "no_consent")


async def test_expired_consent_ends_the_providers_view(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    from csoapi.referrals.models import ReferralConsent

    row = db.exec(select(ReferralConsent)).one()
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(row)
    db.commit()
    assert_problem(await client.get(f"/api/v1/referrals/{ref['id']}", headers=w.provider), 404)
    staff = (await client.get(f"/api/v1/referrals/{ref['id']}", headers=w.cso)).json()
    assert staff["consent"]["valid"] is False


async def test_every_disclosure_is_recorded_and_listed(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    await client.get(f"/api/v1/referrals/{ref['id']}", headers=w.provider)
    await client.get("/api/v1/referrals", headers=w.provider)
    await client.get(f"/api/v1/referrals/{ref['id']}/fhir", headers=w.provider)
    r = await client.get(f"/api/v1/referrals/{ref['id']}/disclosures", headers=w.cso)
    items = r.json()["items"]
    assert [i["fields"] for i in items] == [["contact", "name", "needs"]] * 3
    assert {i["organization_id"] for i in items} == {w.org["id"]}
    assert len(db.exec(select(ReferralDisclosure)).all()) == 3


async def test_follow_ups_make_the_worklist_and_stale_flags_old_ones(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    later = await w.refer()
    due = datetime.now(UTC) + timedelta(days=2)
    r = await client.post(
        f"/api/v1/referrals/{ref['id']}/follow-ups",
        json={"due_at": due.isoformat(), "notes": "Call the shelter"},
        headers=w.cso,
    )
    assert r.status_code == 201 and r.json()["follow_ups"][0]["notes"] == "Call the shelter"
    before = (due + timedelta(hours=1)).isoformat()
    page = (await client.get("/api/v1/referrals", params={"follow_up_due_before": before},
                             headers=w.cso)).json()  # fmt: skip
    assert [i["id"] for i in page["items"]] == [ref["id"]]
    assert all(not i["stale"] for i in page["items"])
    old = db.get(Referral, uuid.UUID(later["id"]))
    old.status_changed_at = datetime.now(UTC) - timedelta(days=8)
    db.add(old)
    db.commit()
    stale = (await client.get("/api/v1/referrals", params={"stale": True}, headers=w.cso)).json()
    assert [i["id"] for i in stale["items"]] == [later["id"]] and stale["items"][0]["stale"]
    fresh = (await client.get("/api/v1/referrals", params={"stale": False}, headers=w.cso)).json()
    assert [i["id"] for i in fresh["items"]] == [ref["id"]]


async def test_a_referral_names_its_call(client, db, settings):
    w = await world(client, db, settings)
    call = await client.post(
        "/api/v1/calls",
        json={"source": "phone", "call_type": "PARKING", "location": {"address": "1 Main St"}},
        headers=w.cso,
    )
    if call.status_code != 201:
        raise AssertionError(call.text)
    ref = await w.refer(call_id=call.json()["id"])
    assert ref["call_id"] == call.json()["id"]
    page = await client.get("/api/v1/referrals", params={"call_id": ref["call_id"]}, headers=w.cso)
    assert [i["id"] for i in page.json()["items"]] == [ref["id"]]
    r = await client.post("/api/v1/referrals", headers=w.cso,
                          json=referral_body(w.service["id"], call_id=NO_ID))  # fmt: skip
    assert_problem(r, 422, "call_not_found")


async def test_no_event_or_log_line_carries_the_person(client, db, settings, capfd):
    w = await world(client, db, settings)
    ref = await w.refer()
    await w.status(ref, w.provider, status="accepted")
    await client.post(f"/api/v1/referrals/{ref['id']}/consent/revoke", headers=w.cso)
    events = db.exec(select(OutboxEvent).where(OutboxEvent.entity_type == "referral")).all()
    assert [e.type for e in events] == [
        "referral.created", "referral.status_changed", "referral.status_changed",
        "referral.consent_revoked",
    ]  # fmt: skip
    assert {e.read_scope for e in events} == {"referrals:read"}
    for e in events:
        text = json.dumps(e.payload)
        assert PERSON_NAME not in text and "555-0142" not in text and "1961" not in text
    audits = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "referral")).all()
    assert audits and all(PERSON_NAME not in json.dumps(a.detail) for a in audits)
    out, err = capfd.readouterr()
    assert PERSON_NAME not in out + err


async def test_purge_removes_the_person_and_keeps_the_record(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    url = f"/api/v1/referrals/{ref['id']}/purge"
    h = {**w.sergeant, "If-Match": f'"{ref["version"]}"'}
    assert_problem(await client.post(url, json={"reason": "asked"}, headers=h), 409,
                   "referral_not_closed")  # fmt: skip
    r = await w.status(ref, w.cso, status="cancelled", status_reason="Found a bed elsewhere")
    version = r.json()["version"]
    cso = {**w.cso, "If-Match": f'"{version}"'}
    assert_problem(await client.post(url, json={"reason": "asked"}, headers=cso), 403,
                   "sergeant_only")  # fmt: skip
    h = {**w.sergeant, "If-Match": f'"{version}"'}
    r = await client.post(url, json={"reason": "The person asked"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["person"] is None and body["narrative"] is None and body["purged_at"]
    row = db.get(Referral, uuid.UUID(ref["id"]))
    assert row.person_name is None and row.person_contact is None and row.narrative is None
    assert row.status == "cancelled"
    h = {**w.sergeant, "If-Match": f'"{body["version"]}"'}
    assert_problem(await client.post(url, json={"reason": "again"}, headers=h), 409,
                   "referral_purged")  # fmt: skip
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "referral.purge")).first()


async def test_a_closed_referral_is_never_stale(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    r = await w.status(ref, w.provider, status="rejected", status_reason="Full")
    assert r.status_code == 200
    row = db.get(Referral, uuid.UUID(ref["id"]))
    row.status_changed_at = datetime.now(UTC) - timedelta(days=30)
    db.add(row)
    db.commit()
    stale = (await client.get("/api/v1/referrals", params={"stale": True}, headers=w.cso)).json()
    assert stale["items"] == []
    fresh = (await client.get("/api/v1/referrals", params={"stale": False}, headers=w.cso)).json()
    assert [i["id"] for i in fresh["items"]] == [ref["id"]] and not fresh["items"][0]["stale"]
