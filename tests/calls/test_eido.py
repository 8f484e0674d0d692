"""The EIDO view validates against NENA's own EmergencyIncidentDataObjectType schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.calls.helpers import act, create_call, to_state
from tests.factories import bearer, create_user, headers_for, token_for


def _repair(node):
    """NENA's published files write some counts as strings ('minItems: 1,'); read them as
    the numbers they mean. Nothing else is changed."""
    if isinstance(node, dict):
        return {
            k: int(str(v).rstrip(","))
            if k in ("minItems", "maxItems") and isinstance(v, str)
            else _repair(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_repair(v) for v in node]
    return node


@pytest.fixture(scope="module")
def eido_validator(shared_data: Path) -> Draft202012Validator:
    schema_dir = shared_data / "standards" / "eido" / "Schema"
    if not schema_dir.is_dir():
        pytest.skip(f"EIDO schema folder {schema_dir} is absent")

    def retrieve(uri: str) -> Resource:
        path = Path(uri.removeprefix("file://"))
        contents = _repair(yaml.safe_load(path.read_text()))
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    root = (schema_dir / "openapi.yaml").resolve()
    registry = Registry(retrieve=retrieve)
    schema = {"$ref": f"file://{root}#/components/schemas/EmergencyIncidentDataObjectType"}
    return Draft202012Validator(schema, registry=registry)


async def test_eido_view_of_calls_in_many_states(client, db, settings, eido_validator):
    cso = create_user(db, settings, "cso")
    cso_h = bearer(token_for(db, settings, cso))
    sergeant = headers_for(db, settings, "sergeant")
    received = await create_call(
        client, headers_for(db, settings, "cad"), source="cad", external_id="EIDO-1"
    )
    cleared = await to_state(client, sergeant, str(cso.id), "cleared")
    on_scene = await to_state(client, sergeant, str(cso.id), "on_scene")
    await client.post(
        f"/api/v1/calls/{on_scene['id']}/notes",
        json={"text": "Owner <notified> & towed"},
        headers=cso_h,
    )
    await act(client, sergeant, cleared, "status", {})  # no-op attempt, must not break the view
    for call in (received, cleared, on_scene):
        for url in (f"/api/v1/calls/{call['id']}/eido", f"/api/v1/calls/{call['id']}?format=eido"):
            r = await client.get(url, headers=cso_h)
            assert r.status_code == 200, r.text
            doc = r.json()
            errors = sorted(eido_validator.iter_errors(doc), key=lambda e: list(e.path))
            assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
            incident = doc["incidentComponent"]
            assert incident["internalIncidentId"] == call["number"]
            assert incident["incidentTypeCommonRegistryText"] == "PARKING"
    doc = (await client.get(f"/api/v1/calls/{cleared['id']}/eido", headers=cso_h)).json()
    assert doc["incidentComponent"]["incidentStatusCommonRegistryText"] == ["Closed"]
    assert "dispositionComponent" not in doc["incidentComponent"]  # HANDLED has no APCO code
    doc = (await client.get(f"/api/v1/calls/{on_scene['id']}/eido", headers=cso_h)).json()
    assert doc["emergencyResourceComponent"][0]["primaryUnitStatusRegistryText"] == "OnScene"
    assert doc["notesComponent"][0]["notesActionComments"] == "Owner &lt;notified&gt; &amp; towed"
    assert "gml:pos" in doc["locationComponent"][0]["locationByValue"]


async def test_eido_carries_the_apco_disposition(client, db, settings, eido_validator):
    cso = create_user(db, settings, "cso")
    sergeant = headers_for(db, settings, "sergeant")
    call = await to_state(client, sergeant, str(cso.id), "on_scene")
    r = await act(
        client, sergeant, call, "status", {"status": "cleared", "disposition": "REPORT_TAKEN"}
    )
    assert r.status_code == 200
    doc = (await client.get(f"/api/v1/calls/{call['id']}/eido", headers=sergeant)).json()
    assert not list(eido_validator.iter_errors(doc))
    dispo = doc["incidentComponent"]["dispositionComponent"][0]
    assert dispo["dispositionCommonRegistryCode"] == "01"


def test_the_validator_rejects_a_broken_eido(eido_validator):
    assert list(eido_validator.iter_errors({"eidoVersion": "2.0"}))
    doc = {
        "$id": "x",
        "lastUpdateTimeStamp": "2026-01-01T00:00:00Z",
        "updatedByAgencyReference": {"$ref": "a"},
        "eidoVersion": "1.0",
        "issuingElementIdentification": "x",
        "agencyComponent": [{"$id": "a"}],
    }
    assert list(eido_validator.iter_errors(doc))  # the agency lacks its required fields


async def test_every_view_of_a_call_is_the_body_its_contract_declares(client, app, db, settings):
    """Schemathesis's response-schema and content-type checks on the JSON and EIDO views of
    calls with and without notes, unit, location point and APCO disposition."""
    contract = schemathesis.openapi.from_dict(app.openapi())
    cso = create_user(db, settings, "cso")
    sergeant = headers_for(db, settings, "sergeant")
    received = await create_call(
        client, headers_for(db, settings, "cad"), location={"address": "1 A St"}
    )
    on_scene = await to_state(client, sergeant, str(cso.id), "on_scene")
    await client.post(
        f"/api/v1/calls/{on_scene['id']}/notes", json={"text": "Owner notified"}, headers=sergeant
    )
    cleared = await to_state(client, sergeant, str(cso.id), "on_scene")
    r = await act(
        client, sergeant, cleared, "status", {"status": "cleared", "disposition": "REPORT_TAKEN"}
    )
    assert r.status_code == 200, r.text
    views = {
        "": contract["/api/v1/calls/{call_id}"]["GET"],
        "?format=json": contract["/api/v1/calls/{call_id}"]["GET"],
        "?format=eido": contract["/api/v1/calls/{call_id}"]["GET"],
        "/eido": contract["/api/v1/calls/{call_id}/eido"]["GET"],
    }
    for call in (received, on_scene, cleared):
        for suffix, operation in views.items():
            r = await client.get(f"/api/v1/calls/{call['id']}{suffix}", headers=sergeant)
            assert r.status_code == 200, r.text
            operation.validate_response(r)
