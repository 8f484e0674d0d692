"""Person detail on reports is need-to-know: the author, reviewers and records see it; any
other reader sees the report with it withheld, and cannot read or add follow-up contacts."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from csoapi.core.audit import AuditEvent
from csoapi.reports.models import ReportContact, ReportPerson
from csoapi.reports.views import COLLEAGUE, RELEASE, redact
from tests.factories import assert_problem
from tests.reports.helpers import JUVENILE, SUSPECT, URL, VICTIM, crime, make_staff, step

DRIVER = {
    "role": "driver",
    "name": "Dee Driver",
    "phone": "619-555-0123",
    "address": "4 Elm Ct",
    "date_of_birth": "1975-06-07",
}
PERSONS = [VICTIM, JUVENILE, SUSPECT, DRIVER]
SECRETS = (
    "619-555-0111",
    "12 Oak St",
    "1980-02-03",
    "Kid Witness",
    "619-555-0199",
    "619-555-0123",
    "4 Elm Ct",
    "1975-06-07",
)
CONTACT = {"method": "phone", "at": "2026-11-03T10:00:00-08:00", "summary": "Told of case"}


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def submitted(client, staff):
    r = await client.post(URL, json=crime(persons=PERSONS), headers=staff["author"])
    assert r.status_code == 201, r.text
    assert (await step(client, staff["author"], r.json(), "submit")).status_code == 200
    return r.json()


def reads(db, report_id: str) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).where(
        AuditEvent.entity_id == report_id, AuditEvent.action == "report.read"
    )
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


async def test_other_csos_read_submitted_and_returned_reports_without_person_detail(
    client, db, staff
):
    r = await submitted(client, staff)
    for status in ("submitted", "returned"):
        got = await client.get(f"{URL}/{r['id']}", headers=staff["other_cso"])
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["status"] == status
        for secret in SECRETS:
            assert secret not in got.text, (status, secret)
        assert [p["name"] for p in body["persons"]] == [
            "Rosa Victim",
            None,
            "Unknown male",
            "Dee Driver",
        ]
        assert [p["role"] for p in body["persons"]] == ["victim", "witness", "suspect", "driver"]
        assert all(p["redacted"] for p in body["persons"])
        assert body["redactions"] == ["juvenile names", "person contact data"]
        assert body["narrative"] and body["location"]["address"] == "1200 3RD AVE"
        if status == "submitted":
            await step(client, staff["sergeant"], r, "return", {"reason": "Add the serial"})

    for who in ("author", "sergeant", "other_sergeant", "records"):
        full = await client.get(f"{URL}/{r['id']}", headers=staff[who])
        assert full.status_code == 200, (who, full.text)
        body = full.json()
        assert body["redactions"] == [], who
        assert not any(p["redacted"] for p in body["persons"]), who
        assert body["persons"][0]["phone"] == "619-555-0111", who
        assert body["persons"][1]["name"] == "Kid Witness", who
        assert body["persons"][3]["date_of_birth"] == "1975-06-07", who

    # Each read is audited, saying whether it showed the people in full.
    rows = reads(db, r["id"])
    assert [(row.detail or {}).get("person_detail") for row in rows] == [
        "withheld",
        "withheld",
        "full",
        "full",
        "full",
        "full",
    ]
    assert all(row.outcome == "success" and row.entity_type == "report" for row in rows)


async def test_drafts_stay_hidden_from_other_csos(client, staff):
    draft = (await client.post(URL, json=crime(), headers=staff["author"])).json()
    for path in ("", "/contacts"):
        assert_problem(
            await client.get(f"{URL}/{draft['id']}{path}", headers=staff["other_cso"]),
            404,
            "report_not_found",
        )
    assert_problem(
        await client.post(
            f"{URL}/{draft['id']}/contacts", json=CONTACT, headers=staff["other_cso"]
        ),
        404,
        "report_not_found",
    )
    assert (await client.get(f"{URL}/{draft['id']}", headers=staff["sergeant"])).json()[
        "redactions"
    ] == []


async def test_only_author_and_reviewers_read_or_add_follow_up_contacts(client, db, staff):
    r = await submitted(client, staff)
    refused = await client.post(
        f"{URL}/{r['id']}/contacts",
        json=CONTACT,
        headers=staff["other_cso"] | {"X-Request-ID": "contact-refused"},
    )
    assert_problem(refused, 403, "person_detail_restricted")
    assert_problem(
        await client.get(f"{URL}/{r['id']}/contacts", headers=staff["other_cso"]),
        403,
        "person_detail_restricted",
    )
    stored = db.scalars(
        sa.select(ReportContact).where(ReportContact.report_id == uuid.UUID(r["id"]))
    )
    assert list(stored) == []
    row = db.scalars(sa.select(AuditEvent).where(AuditEvent.request_id == "contact-refused")).one()
    assert (row.outcome, row.entity_id, row.detail) == (
        "denied",
        r["id"],
        {"status": 403, "code": "person_detail_restricted"},
    )

    for who in ("author", "sergeant"):
        added = await client.post(f"{URL}/{r['id']}/contacts", json=CONTACT, headers=staff[who])
        assert added.status_code == 201, (who, added.text)
    for who in ("author", "other_sergeant", "records"):
        listed = await client.get(f"{URL}/{r['id']}/contacts", headers=staff[who])
        assert [c["summary"] for c in listed.json()] == ["Told of case"] * 2, who


def test_openapi_shows_what_a_view_withholds(app):
    schemas = app.openapi()["components"]["schemas"]
    person = schemas["PersonRead"]["properties"]
    assert person["redacted"]["type"] == "boolean"
    assert {"type": "null"} in person["phone"]["anyOf"]
    assert "redacted" in schemas["PersonRead"]["required"]
    assert schemas["ReportRead"]["properties"]["redactions"]["type"] == "array"
    assert "redactions" in schemas["ReportRead"]["required"]


ROLES = ["victim", "witness", "reporting_party", "suspect", "driver", "owner"]
people = st.lists(
    st.builds(
        ReportPerson,
        report_id=st.just(uuid.uuid4()),
        position=st.integers(0, 49),
        role=st.sampled_from(ROLES),
        name=st.text(min_size=1, max_size=8),
        phone=st.none() | st.just("619-555-0100"),
        address=st.none() | st.just("1 Main St"),
        date_of_birth=st.none() | st.dates(date(1900, 1, 1), date(2025, 1, 1)),
        juvenile=st.booleans(),
    ),
    max_size=6,
)


@given(people)
def test_the_one_redaction(persons):
    """Every rule withholds juveniles' names; a colleague sees nobody's contact data; a
    release keeps the contact data of the people it does not protect; nothing else changes."""
    full, none_withheld = redact(persons, None)
    assert none_withheld == [] and not any(p.redacted for p in full)
    for rule in (COLLEAGUE, RELEASE):
        shown, _ = redact(persons, rule)
        for source, out in zip(persons, shown, strict=True):
            contact = source.role in rule.contact_roles
            assert out.redacted is (contact or source.juvenile)
            assert out.name == (None if source.juvenile else source.name)
            assert out.role == source.role and out.juvenile == source.juvenile
            for field in ("phone", "address"):
                assert getattr(out, field) == (None if contact else getattr(source, field))
            hidden_dob = contact or source.juvenile
            assert out.date_of_birth == (None if hidden_dob else source.date_of_birth)
    assert COLLEAGUE.contact_roles == set(ROLES)
