"""An impound as it is read: its facts (what happened when), the deadlines and disposal
eligibility the rule pack draws from them, its holds."""

from __future__ import annotations

from datetime import datetime

from csoapi.core.config import Settings
from csoapi.holds.models import Hold
from csoapi.holds.service import view as hold_view
from csoapi.impounds import deadlines as dl
from csoapi.impounds.businesstime import BusinessCalendar
from csoapi.impounds.models import Impound, ImpoundNotice
from csoapi.impounds.rules import RulePack, pack_for
from csoapi.impounds.schemas import (
    DeadlineRead,
    DisposalRead,
    HearingRead,
    ImpoundRead,
    ImpoundSummary,
    VehicleRead,
)


def calendar_for(settings: Settings, pack: RulePack) -> BusinessCalendar:
    h = pack.holidays
    return BusinessCalendar(
        settings.tz,
        country=h.country,
        subdivision=h.subdivision,
        categories=h.categories,
        closures=settings.agency_closure_days,
    )


def value_band(i: Impound, pack: RulePack) -> str | None:
    return None if i.value_cents is None else pack.value_bands.band_of(i.value_cents)


def facts_of(i: Impound, notices: list[ImpoundNotice], pack: RulePack) -> dl.Facts:
    events: dict[str, datetime] = {}

    def saw(name: str, at: datetime | None) -> None:
        if at is not None and (name not in events or at < events[name]):
            events[name] = at

    saw("stored", i.towed_at)
    for n in notices:
        saw("notice_mailed", n.mailed_at)
        if n.outcome == "returned":
            saw("notice_returned", n.outcome_at)
    saw("hearing_requested", i.hearing_requested_at)
    if i.hearing_outcome is not None:
        saw("hearing_held", i.hearing_scheduled_at or i.hearing_decided_at)
    saw("valued", i.valued_at)
    for s in i.steps:
        saw(s["step"], datetime.fromisoformat(s["at"]))
    closed = None
    if i.released_at is not None:
        closed = ("released", i.released_at)
    elif i.disposed_at is not None:
        closed = ("disposed", i.disposed_at)
    return dl.Facts(events, value_band(i, pack), i.plate_state, closed)


class Reckoner:
    """The rule pack and business calendar of one jurisdiction, for one request."""

    def __init__(self, settings: Settings, jurisdiction: str) -> None:
        self.pack = pack_for(jurisdiction)
        self.cal = calendar_for(settings, self.pack)

    def deadlines(
        self, i: Impound, notices: list[ImpoundNotice], now: datetime
    ) -> tuple[dl.Facts, list[dl.Deadline]]:
        facts = facts_of(i, notices, self.pack)
        return facts, dl.deadlines(self.pack, facts, now, self.cal)

    def next_due(self, i: Impound, notices: list[ImpoundNotice], now: datetime) -> datetime | None:
        if i.source != "field":  # history imported closed: outside the live worklists
            return None
        facts, found = self.deadlines(i, notices, now)
        return dl.next_due(found, facts)

    def disposal(self, i: Impound, notices: list[ImpoundNotice]) -> dl.Eligibility | None:
        return dl.disposal(self.pack, facts_of(i, notices, self.pack), self.cal)


def impound_view(
    i: Impound,
    notices: list[ImpoundNotice],
    holds: list[Hold],
    reckoner: Reckoner | None,
    now: datetime,
) -> ImpoundRead:
    """``reckoner`` None: an imported record, outside the clocks of any rule pack."""
    found = [] if reckoner is None else reckoner.deadlines(i, notices, now)[1]
    eligible = None if reckoner is None else reckoner.disposal(i, notices)
    hearing = None
    if i.hearing_requested_at is not None:
        hearing = HearingRead(
            requested_at=i.hearing_requested_at,
            requested_by=i.hearing_requested_by,
            scheduled_at=i.hearing_scheduled_at,
            outcome=i.hearing_outcome,
            reason=i.hearing_reason,
            decided_by=i.hearing_decided_by,
            decided_at=i.hearing_decided_at,
        )
    return ImpoundRead(
        **{name: getattr(i, name) for name in _PLAIN},
        vehicle=VehicleRead(
            plate=i.plate,
            plate_state=i.plate_state,
            vin=i.vin,
            make=i.make,
            model=i.model,
            color=i.color,
            year=i.vehicle_year,
        ),
        value_band=None if reckoner is None else value_band(i, reckoner.pack),
        hearing=hearing,
        deadlines=[_deadline(d) for d in found],
        disposal=None if eligible is None else _disposal(eligible),
        holds=[hold_view(h, now) for h in holds],
    )


def _deadline(d: dl.Deadline) -> DeadlineRead:
    return DeadlineRead(
        rule_id=d.rule_id,
        title=d.title,
        citation=d.citation,
        kind=d.kind,
        due_at=d.due_at,
        status=d.status,  # type: ignore[arg-type]
        met_at=d.met_at,
        why=d.why,
    )


def _disposal(e: dl.Eligibility) -> DisposalRead:
    return DisposalRead(
        rule_id=e.rule_id,
        citation=e.citation,
        eligible_at=e.eligible_at,
        routes=list(e.routes),
        why=e.why,
    )


_PLAIN = tuple(
    n
    for n in ImpoundRead.model_fields
    if n not in ("vehicle", "value_band", "hearing", "deadlines", "disposal", "holds")
)


def summary(i: Impound) -> ImpoundSummary:
    return ImpoundSummary.model_validate({n: getattr(i, n) for n in ImpoundSummary.model_fields})
