"""A referral as HL7 FHIR R4 resources shaped by the SDOH Clinical Care IG (2.x): a
Bundle of the ServiceRequest, the Task that manages it (``intent`` order, ``code``
fulfill, ``focus`` the ServiceRequest, ``for`` the Patient, ``owner`` the receiving
organization), the Consent and the Patient (as much of the person as the reader may see)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from csoapi.referrals.models import Referral, ReferralConsent
from csoapi.referrals.states import NEEDS_REASON, Status

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/"
SDOHCC_CODES = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
TASK_STATUS = {s: s.value.replace("_", "-") for s in Status}
SERVICE_REQUEST_STATUS = {
    Status.draft: "draft",
    Status.requested: "active",
    Status.accepted: "active",
    Status.in_progress: "active",
    Status.on_hold: "on-hold",
    Status.completed: "completed",
    Status.rejected: "revoked",
    Status.cancelled: "revoked",
    Status.failed: "revoked",
    Status.entered_in_error: "entered-in-error",
}
# Our needs as the IG's SDOH categories (SDOHCC-ValueSetSDOHCategory).
CATEGORY = {
    "housing": "housing-instability",
    "shelter": "homelessness",
    "food": "food-insecurity",
    "transportation": "transportation-insecurity",
    "mental_health": "sdoh-category-unspecified",
    "substance_use": "sdoh-category-unspecified",
    "youth": "sdoh-category-unspecified",
    "elder": "sdoh-category-unspecified",
    "legal": "sdoh-category-unspecified",
    "medical": "sdoh-category-unspecified",
    "domestic_violence": "intimate-partner-violence",
}


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _urn(kind: str, referral_id: uuid.UUID) -> str:
    return f"urn:uuid:{uuid.uuid5(referral_id, kind)}"


def _patient(r: Referral, shared: set[str] | None) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient", "id": str(uuid.uuid5(r.id, "patient"))}
    sees = (lambda f: True) if shared is None else (lambda f: f in shared)
    if r.purged_at is None:
        if r.person_name and sees("name"):
            patient["name"] = [{"text": r.person_name}]
        if r.person_dob and sees("date_of_birth"):
            patient["birthDate"] = r.person_dob.isoformat()
        if r.person_contact and sees("contact"):
            patient["telecom"] = [{"system": "other", "value": r.person_contact}]
    return patient


def _service_request(r: Referral, now: datetime) -> dict[str, Any]:
    status = Status(r.status)
    return {
        "resourceType": "ServiceRequest",
        "id": str(uuid.uuid5(r.id, "service_request")),
        "meta": {"profile": [SDOHCC + "SDOHCC-ServiceRequest"]},
        "status": SERVICE_REQUEST_STATUS[status],
        "intent": "order",
        "category": [
            {
                "coding": [
                    {"system": SDOHCC_CODES, "code": CATEGORY.get(n, "sdoh-category-unspecified")}
                ],
                "text": n,
            }
            for n in r.needs
        ],
        "code": {"text": "Referral to " + str(r.service_id)},
        "subject": {"reference": _urn("patient", r.id)},
        "authoredOn": _time(r.requested_at or r.created_at),
        "requester": {"reference": f"Practitioner/{r.requested_by}"},
        "performer": [{"reference": f"Organization/{r.organization_id}"}],
        "identifier": [{"system": "urn:csoapi:referral", "value": str(r.id)}],
    }


def _task(r: Referral) -> dict[str, Any]:
    status = Status(r.status)
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(uuid.uuid5(r.id, "task")),
        "meta": {"profile": [SDOHCC + "SDOHCC-TaskForReferralManagement"]},
        "status": TASK_STATUS[status],
        "intent": "order",
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]
        },
        "focus": {"reference": _urn("service_request", r.id)},
        "for": {"reference": _urn("patient", r.id)},
        "authoredOn": _time(r.created_at),
        "lastModified": _time(r.status_changed_at),
        "requester": {"reference": f"Practitioner/{r.requested_by}"},
        "owner": {"reference": f"Organization/{r.organization_id}"},
    }
    if status in NEEDS_REASON and r.status_reason:
        task["statusReason"] = {"text": r.status_reason}
    outputs = [(k, v) for k, v in (("outcome", r.outcome), ("need_met", r.need_met)) if v]
    if outputs:
        task["output"] = [
            {"type": {"text": k}, "valueCodeableConcept": {"text": v}} for k, v in outputs
        ]
    return task


def _consent(r: Referral, c: ReferralConsent, now: datetime) -> dict[str, Any]:
    active = c.revoked_at is None and now < c.expires_at
    return {
        "resourceType": "Consent",
        "id": str(c.id),
        "meta": {"profile": [SDOHCC + "SDOHCC-Consent"]},
        "status": "active" if active else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": _urn("patient", r.id)},
        "dateTime": _time(c.at),
        "sourceAttachment": {"title": f"{c.type} consent: {c.purpose}"[:200]},
        "provision": {
            "type": "permit",
            "period": {"start": _time(c.at), "end": _time(c.revoked_at or c.expires_at)},
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "IRCP",
                            }
                        ]
                    },
                    "reference": {"reference": f"Organization/{org}"},
                }
                for org in c.recipients
            ],
        },
    }


def bundle(
    r: Referral, consent: ReferralConsent | None, now: datetime, *, shared: set[str] | None
) -> dict[str, Any]:
    """``shared``: what the consent lets this reader see of the person (None: staff)."""
    resources = [
        (_urn("service_request", r.id), _service_request(r, now)),
        (_urn("task", r.id), _task(r)),
        (_urn("patient", r.id), _patient(r, shared)),
    ]
    if consent is not None:
        resources.append((f"urn:uuid:{consent.id}", _consent(r, consent, now)))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _time(now),
        "entry": [{"fullUrl": url, "resource": res} for url, res in resources],
    }
