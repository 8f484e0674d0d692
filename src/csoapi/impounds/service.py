"""Impounds: requested from the field, stored when towed, valued, their lien and reporting
steps recorded; every read carries the deadlines the rule pack draws from the facts.

``ImpoundBase`` is what every impound service shares (notices and hearings, fees and
payments, release and disposal): the row lock every change takes first, the view, and
the worklist key (``next_deadline_at``) recomputed with every change."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from csoapi.calls.repository import CallRepository
from csoapi.citations.repository import CitationRepository
from csoapi.core import audit, events
from csoapi.core.clock import refuse_implausible, to_utc
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, InvalidTransition, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Change, Changes, Entity, Event
from csoapi.core.numbering import IMPOUND_NUMBER, yearly_number
from csoapi.holds.service import Subject, holds_on
from csoapi.impounds.models import Impound
from csoapi.impounds.rates import rates_from
from csoapi.impounds.repository import ImpoundFilters, ImpoundRepository
from csoapi.impounds.schemas import (
    ImpoundCreate,
    ImpoundRead,
    StatusBody,
    StepBody,
    ValuationBody,
)
from csoapi.impounds.views import Reckoner, impound_view

__all__ = ["IMPOUND_HOLDS", "ImpoundFilters", "ImpoundService"]

READ_SCOPE = "impounds:read"
HELD = ("requested", "stored")  # on the way to, or on, the lot


def payload(i: Impound) -> dict[str, Any]:
    return {
        "id": str(i.id),
        "number": i.number,
        "status": i.status,
        "reason": i.reason,
        "plate": i.plate,
        "plate_state": i.plate_state,
        "storage_lot": i.storage_lot,
        "version": i.version,
    }


IMPOUND: Entity[Impound] = Entity("impound", read_scope=READ_SCOPE, payload=payload)


def _lock(session: Session, ctx: RequestContext, key: uuid.UUID, for_update: bool) -> Impound:
    return ImpoundRepository(session).get_or_404(key, for_update=for_update)


def _refuses_hold(i: Impound) -> str | None:
    return None if i.status in HELD else f"The vehicle has been {i.status}: nothing to hold"


IMPOUND_HOLDS = Subject("impound", READ_SCOPE, _lock, _refuses_hold)


class ImpoundBase:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = ImpoundRepository(session)
        self.changes = Changes(session, ctx, IMPOUND, lock=lambda key: self.get(key, True))
        self._reckoners: dict[str, Reckoner] = {}

    def get(self, impound_id: uuid.UUID, for_update: bool = False) -> Impound:
        return self.repo.get_or_404(impound_id, for_update=for_update)

    def reckoner(self, i: Impound) -> Reckoner:
        if i.jurisdiction not in self._reckoners:
            self._reckoners[i.jurisdiction] = Reckoner(self.ctx.settings, i.jurisdiction)
        return self._reckoners[i.jurisdiction]

    def view(self, i: Impound) -> ImpoundRead:
        notices = self.repo.notices_of(i.id)
        holds = holds_on(self.session, IMPOUND_HOLDS.kind, i.id)
        reckoner = self.reckoner(i) if i.source == "field" else None
        return impound_view(i, notices, holds, reckoner, utcnow())

    def refresh(self, i: Impound) -> None:
        """The worklist key, after a change of the facts (none for imported history)."""
        if i.source != "field":
            i.next_deadline_at = None
            return
        i.next_deadline_at = self.reckoner(i).next_due(i, self.repo.notices_of(i.id), utcnow())

    def stored(self, impound_id: uuid.UUID, if_match: str | None) -> Change[Impound]:
        """The impound locked for a change that needs the vehicle on the lot."""
        change = self.changes.begin(impound_id, if_match)
        if change.row.status != "stored":
            raise Conflict(
                f"The impound is {change.row.status}, not stored",
                code="impound_not_stored",
                current_status=change.row.status,
            )
        return change

    def moved(self, change: Change[Impound], action: str, event: str, **extra: Any) -> Impound:
        self.refresh(change.row)
        return change.done(action, detail=extra or None, events=[Event(event, extra)])

    def after_tow(self, i: Impound, at: datetime | None, field: str) -> datetime:
        """A time of something done to a towed vehicle: plausible, not before the tow."""
        now = utcnow()
        when = refuse_implausible(at or now, field, now)
        if i.towed_at is not None and when < i.towed_at:
            raise Unprocessable(f"'{field}' is before the tow", code="before_tow", field=field)
        return when


class ImpoundService(ImpoundBase):
    # -- reads ----------------------------------------------------------------------------
    def read(self, impound_id: uuid.UUID) -> ImpoundRead:
        return self.view(self.get(impound_id))

    def page(self, f: ImpoundFilters, *, limit: int, cursor: str | None):
        if f.deadline_due_before is not None:  # an instant beyond datetime's range in UTC
            f = replace(f, deadline_due_before=to_utc(f.deadline_due_before))
        rows, nxt = self.repo.page(f, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "impound.list",
            entity_type="impound",
            filters=asdict(f) | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    # -- from the field -------------------------------------------------------------------
    def create(self, data: ImpoundCreate) -> Impound:
        actor = self.ctx.actor
        if not actor.is_user:
            raise Forbidden("Impounds are requested by people", code="users_only")
        self._check_links(data)
        now = utcnow()
        # A tow done in the field was requested when it was done, unless said otherwise.
        asked = data.requested_at or data.towed_at or now
        requested_at = refuse_implausible(asked, "requested_at", now)
        towed_at = None
        if data.towed_at is not None:
            towed_at = refuse_implausible(data.towed_at, "towed_at", now)
            if towed_at < requested_at:
                raise Unprocessable(
                    "'towed_at' is before 'requested_at'", code="tow_before_request"
                )
        i = self._new(data, requested_at, towed_at)
        self.refresh(i)
        self.repo.add(i)
        audit.record(
            self.session, self.ctx, "impound.create", entity_type="impound", entity_id=i.id
        )
        announced = [("impound.created", {})]
        if towed_at is not None:  # towed and stored at once: the same event as store()
            announced.append(("impound.stored", {"towed_at": towed_at.isoformat()}))
        for kind, extra in announced:
            events.append(
                self.session,
                kind,
                entity_type="impound",
                entity_id=i.id,
                read_scope=READ_SCOPE,
                payload=payload(i) | extra,
            )
        return i

    def _new(
        self, data: ImpoundCreate, requested_at: datetime, towed_at: datetime | None
    ) -> Impound:
        """The row, with the agency's rates of today as its own."""
        v, actor = data.vehicle, self.ctx.actor
        rates = rates_from(self.ctx.settings.impound_rates_file)
        return Impound(
            number=self._number(requested_at),
            plate=v.plate,
            plate_state=v.plate_state,
            vin=v.vin,
            make=v.make,
            model=v.model,
            color=v.color,
            vehicle_year=v.year,
            reason=data.reason.value,
            authority=data.authority,
            towed_from=data.towed_from,
            tow_company=data.tow_company,
            storage_lot=data.storage_lot,
            citation_id=data.citation_id,
            call_id=data.call_id,
            odometer=data.odometer,
            inventory=[item.model_dump() for item in data.inventory],
            notes=data.notes,
            requested_at=requested_at,
            requested_by=actor.id,
            requested_by_name=actor.name,
            towed_at=towed_at,
            status="stored" if towed_at else "requested",
            jurisdiction=self.ctx.settings.impound_jurisdiction,
            tow_cents=rates.tow_company(data.tow_company).tow_cents,
            daily_storage_cents=rates.lot(data.storage_lot).daily_storage_cents,
            admin_fee_cents=rates.admin_fee_cents,
            lien_fee_cents=rates.lien_fee_cents,
        )

    def _check_links(self, data: ImpoundCreate) -> None:
        v = data.vehicle
        if (v.plate is None) != (v.plate_state is None):
            raise Unprocessable("A plate needs its state", code="plate_state_missing")
        if v.vin is None and (v.plate is None or v.plate_state is None):
            raise Unprocessable(
                "The vehicle needs a plate and its state, or a VIN", code="vehicle_unidentified"
            )
        if data.citation_id is not None and not CitationRepository(self.session).find(
            data.citation_id
        ):
            raise Unprocessable(
                "citation_id names no citation", code="unknown_citation", field="citation_id"
            )
        if data.call_id is not None and not CallRepository(self.session).exists(data.call_id):
            raise Unprocessable("call_id names no call", code="unknown_call", field="call_id")

    def _number(self, at: datetime) -> str:
        year = at.astimezone(self.ctx.settings.tz).year
        return yearly_number(
            self.session, IMPOUND_NUMBER, self.ctx.settings.impound_number_prefix, year
        )

    # -- on the lot -----------------------------------------------------------------------
    def store(self, impound_id: uuid.UUID, data: StatusBody, if_match: str | None) -> Impound:
        change = self.changes.begin(impound_id, if_match)
        i = change.row
        if i.status != "requested":
            raise InvalidTransition(
                f"A {i.status} impound cannot become stored",
                current_status=i.status,
                allowed=["released", "disposed"] if i.status == "stored" else [],
            )
        now = utcnow()
        at = refuse_implausible(data.at or now, "at", now)
        if at < i.requested_at:
            raise Unprocessable("'at' is before the request", code="tow_before_request")
        i.status, i.towed_at = "stored", at
        return self.moved(change, "impound.store", "impound.stored", towed_at=at.isoformat())

    def value(self, impound_id: uuid.UUID, data: ValuationBody, if_match: str | None) -> Impound:
        """The agency's estimate of the vehicle's value (CVC 22670): it picks the lien path,
        so it may change only until the first lien step is recorded."""
        change = self.stored(impound_id, if_match)
        i = change.row
        if any(s["step"].startswith(("dmv_", "lien_")) for s in i.steps):
            raise Conflict("The lien process has begun on this value", code="valuation_locked")
        i.valued_at = self.after_tow(i, data.at, "at")
        i.value_cents, i.valued_by = data.value_cents, data.estimator
        return self.moved(change, "impound.value", "impound.valued", value_cents=i.value_cents)

    def step(self, impound_id: uuid.UUID, data: StepBody, if_match: str | None) -> Impound:
        """A lien or reporting step done (DOJ notified, DMV record requested, ...)."""
        change = self.stored(impound_id, if_match)
        i = change.row
        at = self.after_tow(i, data.at, "at")
        done = {"step": data.step.value, "at": at.isoformat(), "by": self.ctx.actor.name}
        i.steps = [*i.steps, done | ({"note": data.note} if data.note else {})]
        return self.moved(change, "impound.step", "impound.step_recorded", step=data.step.value)
