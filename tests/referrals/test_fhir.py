"""GET /referrals/{id}/fhir: a Bundle of ServiceRequest, Task, Patient and Consent, each
validated with fhir.resources (R4B), and the SDOHCC rules checked: Task intent order, code
fulfill, focus the ServiceRequest, status in the SDOHCC set, statusReason.text when
rejected, cancelled, on-hold or failed; outputs on completion."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from tests.referrals.helpers import PERSON_NAME, world

SDOHCC_TASK_STATUSES = {
    "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
    "in-progress", "on-hold", "failed", "completed", "entered-in-error",
}  # fmt: skip
KINDS = {"ServiceRequest": ServiceRequest, "Task": Task, "Patient": Patient, "Consent": Consent}


def resources(bundle: dict) -> dict[str, dict]:
    Bundle.model_validate(bundle)
    out = {}
    for entry in bundle["entry"]:
        res = entry["resource"]
        KINDS[res["resourceType"]].model_validate(res)
        out[res["resourceType"]] = res | {"_fullUrl": entry["fullUrl"]}
    return out


def check_task(task: dict, service_request: dict, patient: dict) -> None:
    assert task["intent"] == "order"
    assert task["code"]["coding"] == [
        {"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}
    ]
    assert task["focus"]["reference"] == service_request["_fullUrl"]
    assert task["for"]["reference"] == patient["_fullUrl"]
    assert task["status"] in SDOHCC_TASK_STATUSES
    if task["status"] in {"rejected", "cancelled", "on-hold", "failed"}:
        assert task["statusReason"]["text"]
    assert task["meta"]["profile"][0].endswith("SDOHCC-TaskForReferralManagement")


@pytest.mark.parametrize(
    ("moves", "task_status", "sr_status"),
    [
        ([], "requested", "active"),
        ([("provider", {"status": "rejected", "status_reason": "No beds for men"})],
         "rejected", "revoked"),
        ([("provider", {"status": "accepted"}),
          ("provider", {"status": "on_hold", "status_reason": "Waiting list"})],
         "on-hold", "on-hold"),
        ([("provider", {"status": "accepted"}),
          ("provider", {"status": "completed", "outcome": "services_provided",
                        "need_met": "partially"})],
         "completed", "completed"),
        ([("cso", {"status": "cancelled", "status_reason": "Went home"})], "cancelled", "revoked"),
    ],
)  # fmt: skip
async def test_the_bundle_validates_and_follows_sdohcc(
    client, db, settings, moves, task_status, sr_status
):
    w = await world(client, db, settings)
    ref = await w.refer()
    for who, body in moves:
        r = await w.status(ref, w.provider if who == "provider" else w.cso, **body)
        assert r.status_code == 200, r.text
    bundle = (await client.get(f"/api/v1/referrals/{ref['id']}/fhir", headers=w.cso)).json()
    got = resources(bundle)
    assert set(got) == {"ServiceRequest", "Task", "Patient", "Consent"}
    sr, task, patient = got["ServiceRequest"], got["Task"], got["Patient"]
    check_task(task, sr, patient)
    assert task["status"] == task_status and sr["status"] == sr_status
    assert sr["intent"] == "order" and sr["subject"]["reference"] == patient["_fullUrl"]
    assert patient["name"] == [{"text": PERSON_NAME}] and patient["birthDate"] == "1961-04-02"
    assert got["Consent"]["status"] == "active"
    if task_status == "completed":
        assert {o["type"]["text"] for o in task["output"]} == {"outcome", "need_met"}


async def test_the_providers_bundle_shows_only_what_consent_shares(client, db, settings):
    w = await world(client, db, settings)
    ref = await w.refer()
    bundle = (await client.get(f"/api/v1/referrals/{ref['id']}/fhir", headers=w.provider)).json()
    got = resources(bundle)
    assert got["Patient"]["name"] == [{"text": PERSON_NAME}]
    assert "birthDate" not in got["Patient"]  # date_of_birth is not in data_shared
    await client.post(f"/api/v1/referrals/{ref['id']}/consent/revoke", headers=w.cso)
    staff = resources(
        (await client.get(f"/api/v1/referrals/{ref['id']}/fhir", headers=w.cso)).json()
    )
    assert staff["Consent"]["status"] == "inactive"
