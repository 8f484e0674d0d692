"""A call as a NENA EIDO incident (NENA-STA-021, JSON): incident, location, notes, the
assigned unit's status and the disposition, with APCO common registry codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from sqlmodel import Session

from csoapi.calls.models import Call
from csoapi.calls.repository import CallRepository
from csoapi.codes.models import CallType, Disposition
from csoapi.core.config import Settings

# Our states in the EIDO Incident Status and Primary Unit Status registries.
INCIDENT_STATUS = {
    "received": "Active",
    "dispatched": "Active",
    "en_route": "Active",
    "on_scene": "Active",
    "cleared": "Closed",
    "cancelled": "Cancelled",
    "escalated": "Transferred",
}
UNIT_STATUS = {
    "dispatched": "Dispatched",
    "en_route": "Enroute",
    "on_scene": "OnScene",
    "cleared": "Available",
    "cancelled": "Available",
    "escalated": "Available",
}


# The document as this API writes it, for the contract: the part of NENA's
# EmergencyIncidentDataObjectType (NENA-STA-021) it fills, under NENA's property names. A
# component it leaves out is absent, never null (``Absent``). tests/calls/test_eido.py holds
# the bodies to this and, with NENA's published schema at hand, to that schema too.
Absent = SkipJsonSchema[None]


class _Eido(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True, field_title_generator=lambda name, _: name.replace("_", " ").title()
    )


class EidoReference(_Eido):
    ref: str = Field(alias="$ref", description="The `$id` of the component referred to")


class EidoComponent(_Eido):
    """The prologue every EIDO component starts with."""

    id: str = Field(alias="$id", description="Globally unique id of the component")
    last_update: datetime = Field(alias="lastUpdateTimeStamp")
    updated_by: EidoReference = Field(alias="updatedByAgencyReference")


class EidoAgency(EidoComponent):
    roles: list[str] = Field(alias="agencyRoleDescriptionRegistryText")
    types: list[str] = Field(alias="agencyType")
    owning: bool = Field(alias="incidentOwningAgencyIndicator")


class EidoDisposition(EidoComponent):
    common_code: str = Field(alias="dispositionCommonRegistryCode", description="APCO code")
    primary: bool = Field(alias="dispositionPrimaryIndicator")
    category: str = Field(alias="dispositionCategoryText", description="Our disposition code")
    description: str = Field(alias="dispositionDescriptionText")


class EidoIncident(EidoComponent):
    type_common: str = Field(alias="incidentTypeCommonRegistryText", description="APCO type")
    type_code: str = Field(alias="incidentTypeInternalCode", description="Our call type")
    type_text: str = Field(alias="incidentTypeInternalText")
    status_common: list[str] = Field(alias="incidentStatusCommonRegistryText")
    status_internal: list[str] = Field(alias="incidentStatusInternalText")
    internal_id: str = Field(alias="internalIncidentId", description="The call's CFS number")
    priority: int = Field(alias="incidentCommonPriorityNumber")
    priority_text: str = Field(alias="incidentPriorityInternalText")
    locations: list[EidoReference] = Field(alias="locationReference")
    beat: str | Absent = Field(default=None, alias="beatOrDispatchGroupText")
    notes: list[EidoReference] | Absent = Field(default=None, alias="notesReference")
    dispositions: list[EidoDisposition] | Absent = Field(default=None, alias="dispositionComponent")


class EidoLocation(EidoComponent):
    type_text: str = Field(alias="locationTypeDescriptionRegistryText")
    description: str = Field(alias="locationDescriptionText", description="The address")
    by_value: str | Absent = Field(
        default=None, alias="locationByValue", description="The point, as PIDF-LO XML"
    )


class EidoNotes(EidoComponent):
    comments: str = Field(alias="notesActionComments", description="XML-escaped note text")


class EidoAgent(EidoComponent):
    roles: list[str] = Field(alias="agentRoleRegistryText")
    agency: EidoReference = Field(alias="agencyReference")


class EidoResource(EidoComponent):
    agents: list[EidoReference] = Field(alias="agentReference")
    type_common: str = Field(alias="emergencyResourceTypeCommonRegistryText")
    type_text: str = Field(alias="emergencyResourceTypeInternalText")
    attributes: list[str] = Field(alias="resourceAttributeRegistryText")
    primary_status: str = Field(alias="primaryUnitStatusRegistryText")
    secondary_status: list[str] = Field(alias="secondaryUnitStatusRegistryText")
    incident_id: str = Field(alias="activeOnIncidentId")


class EidoDocument(EidoComponent):
    """A call as a NENA EIDO (NENA-STA-021): the incident, its location, notes, the agency,
    and the assigned CSO as agent and unit."""

    version: Literal["1.0"] = Field(alias="eidoVersion")
    issuer: str = Field(alias="issuingElementIdentification")
    agencies: list[EidoAgency] = Field(alias="agencyComponent")
    incident: EidoIncident = Field(alias="incidentComponent")
    locations: list[EidoLocation] = Field(alias="locationComponent")
    notes: list[EidoNotes] | Absent = Field(default=None, alias="notesComponent")
    agents: list[EidoAgent] | Absent = Field(default=None, alias="agentComponent")
    resources: list[EidoResource] | Absent = Field(default=None, alias="emergencyResourceComponent")


def _ts(value: datetime) -> str:
    return value.isoformat()


def _pidf_point(call: Call) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        'xmlns:gml="http://www.opengis.net/gml" entity="pres:' + escape(call.number) + '">'
        '<tuple id="incident"><status><gp:geopriv><gp:location-info>'
        f'<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{call.lat} {call.lon}</gml:pos>'
        "</gml:Point></gp:location-info></gp:geopriv></status></tuple></presence>"
    )


class _Ids:
    """The call's component ids and the prologue every EIDO component starts with."""

    def __init__(self, call: Call, settings: Settings) -> None:
        self.agency = f"{settings.agency_ori.lower()}.csoapi"
        self.ref = {"$ref": self.agency}
        self.updated = _ts(call.updated_at)
        self.hex = call.id.hex
        self.incident = f"urn:emergency:uid:incidentid:{self.hex}:{self.agency}"
        self.location = f"urn:emergency:uid:locationid:{self.hex}:{self.agency}"

    def prologue(self, component_id: str, at: datetime | None = None) -> dict[str, Any]:
        return {
            "$id": component_id,
            "lastUpdateTimeStamp": _ts(at) if at else self.updated,
            "updatedByAgencyReference": self.ref,
        }


def to_eido(session: Session, call: Call, settings: Settings) -> dict[str, Any]:
    ids = _Ids(call, settings)
    notes = [
        ids.prologue(f"urn:emergency:uid:notesid:{ids.hex}-{n.id}:{ids.agency}", n.at)
        | {"notesActionComments": escape(n.text or "")}
        for n in CallRepository(session).activity(call.id)
        if n.kind == "note"
    ]
    location = ids.prologue(ids.location) | {
        "locationTypeDescriptionRegistryText": "Incident",
        "locationDescriptionText": call.address,
    }
    if call.lat is not None and call.lon is not None:
        location["locationByValue"] = _pidf_point(call)
    eido: dict[str, Any] = ids.prologue(ids.incident) | {
        "eidoVersion": "1.0",
        "issuingElementIdentification": f"csoapi.{ids.agency}",
        "agencyComponent": [
            ids.prologue(ids.agency)
            | {
                "agencyRoleDescriptionRegistryText": ["Dispatching"],
                "agencyType": ["police"],
                "incidentOwningAgencyIndicator": True,
            }
        ],
        "incidentComponent": _incident(session, call, ids, notes),
        "locationComponent": [location],
    }
    if notes:
        eido["notesComponent"] = notes
    if call.assigned_to is not None and call.status in UNIT_STATUS:
        eido |= _unit(call, ids)
    return eido


def _incident(
    session: Session, call: Call, ids: _Ids, notes: list[dict[str, Any]]
) -> dict[str, Any]:
    call_type = session.get(CallType, call.call_type)
    incident: dict[str, Any] = ids.prologue(ids.incident) | {
        "incidentTypeCommonRegistryText": call_type.common_code if call_type else "INFO",
        "incidentTypeInternalCode": call.call_type,
        "incidentTypeInternalText": call_type.description if call_type else call.call_type,
        "incidentStatusCommonRegistryText": [INCIDENT_STATUS[call.status]],
        "incidentStatusInternalText": [call.status],
        "internalIncidentId": call.number,
        "incidentCommonPriorityNumber": call.priority,
        "incidentPriorityInternalText": str(call.priority),
        "locationReference": [{"$ref": ids.location}],
    }
    if call.beat:
        incident["beatOrDispatchGroupText"] = call.beat
    if notes:
        incident["notesReference"] = [{"$ref": n["$id"]} for n in notes]
    disposition = session.get(Disposition, call.disposition) if call.disposition else None
    if disposition is not None and disposition.common_code:
        disposition_id = f"urn:emergency:uid:dispositionid:{ids.hex}:{ids.agency}"
        incident["dispositionComponent"] = [
            ids.prologue(disposition_id, call.cleared_at)
            | {
                "dispositionCommonRegistryCode": disposition.common_code,
                "dispositionPrimaryIndicator": True,
                "dispositionCategoryText": disposition.code,
                "dispositionDescriptionText": disposition.description,
            }
        ]
    return incident


def _unit(call: Call, ids: _Ids) -> dict[str, Any]:
    """The assigned CSO as an agent and the emergency resource (unit) it staffs."""
    assert call.assigned_to is not None
    agent_id = f"user:{call.assigned_to}@{ids.agency}"
    return {
        "agentComponent": [
            ids.prologue(agent_id)
            | {"agentRoleRegistryText": ["Responder"], "agencyReference": ids.ref}
        ],
        "emergencyResourceComponent": [
            ids.prologue(f"urn:emergency:uid:unitid:{call.assigned_to.hex}:{ids.agency}")
            | {
                "agentReference": [{"$ref": agent_id}],
                "emergencyResourceTypeCommonRegistryText": "Person",
                "emergencyResourceTypeInternalText": "Community Service Officer",
                "resourceAttributeRegistryText": ["NonSworn"],
                "primaryUnitStatusRegistryText": UNIT_STATUS[call.status],
                "secondaryUnitStatusRegistryText": [call.status],
                "activeOnIncidentId": ids.incident,
            }
        ],
    }
