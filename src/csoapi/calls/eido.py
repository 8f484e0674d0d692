"""A call as a NENA EIDO incident (NENA-STA-021, JSON): incident, location, notes, the
assigned unit's status and the disposition, with APCO common registry codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

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
