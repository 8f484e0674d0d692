"""A call as a NENA EIDO incident (NENA-STA-021, JSON): incident, location, notes, the
assigned unit's status and the disposition, with APCO common registry codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from sqlmodel import Session

from csoapi.calls.models import Call, CallActivity
from csoapi.calls.repository import CallRepository
from csoapi.codes.models import CallType, Disposition
from csoapi.codes.repository import CodeRepository
from csoapi.codes.service import CALL_TYPES, DISPOSITIONS
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


def to_eido(session: Session, call: Call, settings: Settings) -> dict[str, Any]:
    """``call`` as one EIDO document, with its type's and disposition's common codes and
    its notes."""
    call_type = CodeRepository(session, CALL_TYPES).find(call.call_type)
    notes = [a for a in CallRepository(session).activity(call.id) if a.kind == "note"]
    dispositions = CodeRepository(session, DISPOSITIONS)
    disposition = dispositions.find(call.disposition) if call.disposition else None
    return _Eido(call, settings).document(call_type=call_type, disposition=disposition, notes=notes)


class _Eido:
    """The components of one call's EIDO document, each with its prologue."""

    def __init__(self, call: Call, settings: Settings) -> None:
        self.call = call
        self.agency = f"{settings.agency_ori.lower()}.csoapi"
        self.ref = {"$ref": self.agency}
        self.updated = _ts(call.updated_at)
        self.incident_id = self.uid("incidentid", call.id.hex)
        self.location_id = self.uid("locationid", call.id.hex)

    def uid(self, kind: str, key: str) -> str:
        return f"urn:emergency:uid:{kind}:{key}:{self.agency}"

    def prologue(self, component_id: str, at: datetime | None = None) -> dict[str, Any]:
        return {
            "$id": component_id,
            "lastUpdateTimeStamp": _ts(at) if at else self.updated,
            "updatedByAgencyReference": self.ref,
        }

    def document(
        self,
        *,
        call_type: CallType | None,
        disposition: Disposition | None,
        notes: list[CallActivity],
    ) -> dict[str, Any]:
        call = self.call
        notes_component = [
            self.prologue(self.uid("notesid", f"{call.id.hex}-{n.id}"), n.at)
            | {"notesActionComments": escape(n.text or "")}
            for n in notes
        ]
        incident = self.incident(call_type, disposition, notes_component)
        eido: dict[str, Any] = self.prologue(self.incident_id) | {
            "eidoVersion": "1.0",
            "issuingElementIdentification": f"csoapi.{self.agency}",
            "agencyComponent": [
                self.prologue(self.agency)
                | {
                    "agencyRoleDescriptionRegistryText": ["Dispatching"],
                    "agencyType": ["police"],
                    "incidentOwningAgencyIndicator": True,
                }
            ],
            "incidentComponent": incident,
            "locationComponent": [self.location()],
        }
        if notes_component:
            eido["notesComponent"] = notes_component
        if call.assigned_to is not None and call.status in UNIT_STATUS:
            eido |= self.unit(call.assigned_to.hex, str(call.assigned_to))
        return eido

    def location(self) -> dict[str, Any]:
        call = self.call
        location = self.prologue(self.location_id) | {
            "locationTypeDescriptionRegistryText": "Incident",
            "locationDescriptionText": call.address,
        }
        if call.lat is not None and call.lon is not None:
            location["locationByValue"] = _pidf_point(call)
        return location

    def incident(
        self,
        call_type: CallType | None,
        disposition: Disposition | None,
        notes_component: list[dict[str, Any]],
    ) -> dict[str, Any]:
        call = self.call
        incident: dict[str, Any] = self.prologue(self.incident_id) | {
            "incidentTypeCommonRegistryText": call_type.common_code if call_type else "INFO",
            "incidentTypeInternalCode": call.call_type,
            "incidentTypeInternalText": call_type.description if call_type else call.call_type,
            "incidentStatusCommonRegistryText": [INCIDENT_STATUS[call.status]],
            "incidentStatusInternalText": [call.status],
            "internalIncidentId": call.number,
            "incidentCommonPriorityNumber": call.priority,
            "incidentPriorityInternalText": str(call.priority),
            "locationReference": [{"$ref": self.location_id}],
        }
        if call.beat:
            incident["beatOrDispatchGroupText"] = call.beat
        if notes_component:
            incident["notesReference"] = [{"$ref": n["$id"]} for n in notes_component]
        if disposition is not None and disposition.common_code:
            incident["dispositionComponent"] = [
                self.prologue(self.uid("dispositionid", call.id.hex), call.cleared_at)
                | {
                    "dispositionCommonRegistryCode": disposition.common_code,
                    "dispositionPrimaryIndicator": True,
                    "dispositionCategoryText": disposition.code,
                    "dispositionDescriptionText": disposition.description,
                }
            ]
        return incident

    def unit(self, unit_hex: str, unit: str) -> dict[str, Any]:
        """The assigned CSO as the agent and the emergency resource on the incident."""
        agent_id = f"user:{unit}@{self.agency}"
        return {
            "agentComponent": [
                self.prologue(agent_id)
                | {"agentRoleRegistryText": ["Responder"], "agencyReference": self.ref}
            ],
            "emergencyResourceComponent": [
                self.prologue(self.uid("unitid", unit_hex))
                | {
                    "agentReference": [{"$ref": agent_id}],
                    "emergencyResourceTypeCommonRegistryText": "Person",
                    "emergencyResourceTypeInternalText": "Community Service Officer",
                    "resourceAttributeRegistryText": ["NonSworn"],
                    "primaryUnitStatusRegistryText": UNIT_STATUS[self.call.status],
                    "secondaryUnitStatusRegistryText": [self.call.status],
                    "activeOnIncidentId": self.incident_id,
                }
            ],
        }
