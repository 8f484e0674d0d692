"""Parking permits: zones, issue (fee from the schedule, validity as local days), the
holder's personal data (records only, every read audited), the check "is this vehicle
covered here and now", revocation, the portal's lookup and the printable permit."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from csoapi.core import audit, events
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.core.numbering import NumberFormat, yearly_number
from csoapi.permits import rules
from csoapi.permits.catalogue import PERMITS
from csoapi.permits.models import Permit, PermitZone
from csoapi.permits.repository import PermitFilters, PermitRepository, ZoneRepository
from csoapi.permits.schemas import (
    CheckResult,
    HolderRead,
    PermitCreate,
    PermitRead,
    PermitStatus,
    PortalPermit,
    RenewalTerms,
    RevokeBody,
    ZoneCreate,
    ZoneUpdate,
)

PERMIT_NUMBER = NumberFormat("permit", year_digits=4, width=6)


def payload(p: Permit) -> dict[str, Any]:
    """An event's data: ids and states, never the plate or the holder."""
    return {
        "id": str(p.id),
        "number": p.number,
        "kind": p.kind,
        "zone": p.zone,
        "state": p.state,
        "valid_from": p.valid_from.isoformat(),
        "valid_to": p.valid_to.isoformat(),
        "version": p.version,
    }


PERMIT: Entity[Permit] = Entity("permit", PERMITS, payload)
ZONE: Entity[PermitZone] = Entity("permit_zone", key="code")


def status_of(p: Permit, now: datetime) -> PermitStatus:
    if p.state == "revoked":
        return PermitStatus.revoked
    return PermitStatus.active if now < p.ends_at else PermitStatus.expired


def renewal_now(p: Permit, now: datetime, tz: ZoneInfo) -> rules.Renewal | None:
    """The renewal a payment portal could pay on ``p`` at ``now``: none when revoked, when
    its kind has none, or when its grace after ending has run out (in local days)."""
    if p.state == "revoked":
        return None
    terms = rules.renewal_of(p.kind, p.valid_to)
    if terms is None or now.astimezone(tz).date() > terms.open_until:
        return None
    return terms


def portal_view(p: Permit, now: datetime, tz: ZoneInfo) -> PortalPermit:
    terms = renewal_now(p, now, tz)
    renewal = None
    if terms is not None:
        renewal = RenewalTerms(
            fee_cents=terms.fee.fee_cents,
            valid_from=terms.valid_from,
            valid_to=terms.valid_to,
            open_until=terms.open_until,
        )
    fields = {k: getattr(p, k) for k in PortalPermit.model_fields if k not in ("status", "renewal")}
    return PortalPermit(**fields, status=status_of(p, now), renewal=renewal)


def known_zone(session: Session, code: str, field: str = "zone") -> PermitZone:
    zone = ZoneRepository(session).by_code(code)
    if zone is None:
        raise Unprocessable(f"No permit zone '{code}'", code="unknown_permit_zone", field=field)
    return zone


def covering(session: Session, plate: str, plate_state: str, zone: str, at: datetime):
    """The active permit that covers the vehicle in ``zone`` at ``at`` (None if none); an
    unknown zone is a 422 naming ``permit_zone`` (what citations call it)."""
    known_zone(session, zone, "permit_zone")
    return PermitRepository(session).covering(plate, plate_state, zone, at)


class PermitService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.tz = ctx.settings.tz
        self.repo = PermitRepository(session)
        self.zones = ZoneRepository(session)
        self.changes = Changes(session, ctx, PERMIT, lock=lambda k: self.get(k, for_update=True))
        self.zone_changes = Changes(session, ctx, ZONE, lock=self._zone_for_update)

    # -- zones ----------------------------------------------------------------------------
    def _zone_for_update(self, code: str) -> PermitZone:
        zone = self.zones.by_code(code, for_update=True)
        if zone is None:
            raise NotFound("No such permit zone", code="permit_zone_not_found")
        return zone

    def create_zone(self, data: ZoneCreate) -> PermitZone:
        if self.zones.by_code(data.code) is not None:
            raise Conflict(f"Permit zone {data.code} exists", code="permit_zone_exists")
        zone = self.zones.add(PermitZone(**data.model_dump()))
        audit.record(
            self.session,
            self.ctx,
            "permit_zone.create",
            entity_type="permit_zone",
            entity_id=zone.code,
        )
        return zone

    def update_zone(self, code: str, data: ZoneUpdate, if_match: str | None) -> PermitZone:
        change = self.zone_changes.begin(code, if_match, required=True)
        fields = data.model_dump(exclude_unset=True)
        for key, value in fields.items():
            if value is not None or key == "description":
                setattr(change.row, key, value)
        return change.done("permit_zone.update", detail={"fields": sorted(fields)})

    def zone_page(self, *, limit: int, cursor: str | None):
        rows, nxt = self.zones.page(limit=limit, cursor=cursor)
        self._listed("permit_zone.list", "permit_zone", {"limit": limit, "cursor": cursor}, rows)
        return rows, nxt

    # -- permits --------------------------------------------------------------------------
    def issue(self, data: PermitCreate) -> Permit:
        zone = known_zone(self.session, data.zone)
        if not zone.active:
            raise Conflict(f"Permit zone {zone.code} is closed", code="permit_zone_inactive")
        rules.check_length(data.kind, data.valid_from, data.valid_to)
        fee = rules.fee_for(data.kind, data.valid_from)
        starts_at, ends_at = rules.span(data.valid_from, data.valid_to, self.tz)
        permit = new_row(
            Permit,
            number="",
            kind=data.kind,
            zone=zone.code,
            plate=data.plate,
            plate_state=data.plate_state,
            holder_name=data.holder.name,
            holder_address=data.holder.address,
            holder_phone=data.holder.phone,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            starts_at=starts_at,
            ends_at=ends_at,
            fee_cents=fee.fee_cents,
            fee_rule=fee.rule,
            state="active",
            issued_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        clash = self.repo.overlapping(permit)
        if clash is not None:
            raise Conflict(
                f"Permit {clash.number} already covers this vehicle in zone {zone.code} "
                "on some of these days",
                code="permit_overlaps",
                permit_id=str(clash.id),
            )
        prefix = self.ctx.settings.permit_number_prefix
        permit.number = yearly_number(self.session, PERMIT_NUMBER, prefix, data.valid_from.year)
        self.repo.add(permit)
        audit.record(
            self.session,
            self.ctx,
            "permit.issue",
            entity_type="permit",
            entity_id=permit.id,
            detail={"number": permit.number, "kind": permit.kind, "fee_cents": fee.fee_cents},
        )
        events.append(
            self.session,
            "permit.issued",
            entity_type="permit",
            entity_id=permit.id,
            read_scope=PERMITS,
            payload=payload(permit),
        )
        return permit

    def get(self, permit_id: uuid.UUID, *, for_update: bool = False) -> Permit:
        return self.repo.get_or_404(permit_id, for_update=for_update)

    def read(self, permit_id: uuid.UUID) -> Permit:
        p = self.get(permit_id)
        audit.record(self.session, self.ctx, "permit.read", entity_type="permit", entity_id=p.id)
        return p

    def holder(self, permit_id: uuid.UUID) -> HolderRead:
        """The holder's personal data: every read is an audit row of its own."""
        p = self.get(permit_id)
        audit.record(
            self.session, self.ctx, "permit.holder.read", entity_type="permit", entity_id=p.id
        )
        return HolderRead(
            permit_id=p.id,
            number=p.number,
            name=p.holder_name,
            address=p.holder_address,
            phone=p.holder_phone,
        )

    def page(self, f: PermitFilters, *, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(f, utcnow(), limit=limit, cursor=cursor)
        filters = asdict(f) | {"limit": limit, "cursor": cursor}
        self._listed("permit.list", "permit", filters, rows)
        return rows, nxt

    def revoke(self, permit_id: uuid.UUID, data: RevokeBody, if_match: str | None) -> Permit:
        change = self.changes.begin(permit_id, if_match)
        p, now = change.row, utcnow()
        if status_of(p, now) is not PermitStatus.active:
            raise Conflict(
                f"A {status_of(p, now).value} permit cannot be revoked",
                code="permit_not_revocable",
            )
        p.state, p.revoked_at, p.revoke_reason = "revoked", now, data.reason
        p.revoked_by = self.ctx.actor.id
        return change.done("permit.revoke", events=[Event("permit.revoked")])

    def check(self, plate: str, plate_state: str, zone: str, at: datetime | None) -> CheckResult:
        when = at or utcnow()
        known_zone(self.session, zone)
        p = self.repo.covering(plate, plate_state, zone, when)
        audit.record(
            self.session,
            self.ctx,
            "permit.check",
            entity_type="permit",
            entity_id=p.id if p else None,
            detail={"zone": zone, "covered": p is not None},
        )
        return CheckResult(
            covered=p is not None,
            permit_id=p.id if p else None,
            at=when,
            valid_to=p.valid_to if p else None,
        )

    def lookup(self, number: str) -> PortalPermit:
        """A payment portal's view of one permit by its number (renewals are paid on it)."""
        p = self.repo.by_number(number)
        audit.record(
            self.session,
            self.ctx,
            "permit.lookup",
            entity_type="permit",
            entity_id=p.id if p else None,
            detail={"found": p is not None},
        )
        if p is None:
            raise NotFound("No such permit", code="permit_not_found")
        return portal_view(p, utcnow(), self.tz)

    def view(self, p: Permit) -> PermitRead:
        fields = {k: getattr(p, k) for k in PermitRead.model_fields if k != "status"}
        return PermitRead(**fields, status=status_of(p, utcnow()))

    def printed(self, permit_id: uuid.UUID) -> Permit:
        p = self.get(permit_id)
        audit.record(self.session, self.ctx, "permit.print", entity_type="permit", entity_id=p.id)
        return p

    def _listed(self, action: str, entity: str, filters: dict[str, Any], rows: list[Any]) -> None:
        audit.record_list(
            self.session, self.ctx, action, entity_type=entity, filters=filters, count=len(rows)
        )
