"""An impound's deadlines, computed from its facts and the rule pack (a pure kernel).

Facts are the things that happened and when (``stored``, ``notice_mailed``, ...: the
earliest time of each), the vehicle's value band once valued, its plate's state and how
it left the lot (``released``/``disposed``). Each rule in force on the day of its trigger
gives one deadline once its trigger has happened:

- ``met``: its ``met_by`` fact happened by ``due_at``; or the vehicle left the lot by a way
  that ends the duty (``moot_when``) before it was due;
- ``missed``: due and not met in time (``met_at`` says when it was done late, if it was);
- ``open``: not yet due and not yet met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from csoapi.impounds.businesstime import BusinessCalendar
from csoapi.impounds.rules import DeadlineRule, DisposalRule, Rule, RulePack, in_force


@dataclass(frozen=True, slots=True)
class Facts:
    events: Mapping[str, datetime]
    value_band: str | None = None
    plate_state: str | None = None
    closed: tuple[str, datetime] | None = None  # ("released" | "disposed", when)


@dataclass(frozen=True, slots=True)
class Deadline:
    rule_id: str
    title: str
    citation: str
    kind: str
    due_at: datetime
    status: str  # open | met | missed
    met_at: datetime | None
    why: str


def applies(rule: Rule, facts: Facts) -> bool:
    cond = rule.applies_if
    if cond.value_band is not None and facts.value_band != cond.value_band:
        return False
    outside = cond.registered_outside
    return outside is None or (facts.plate_state is not None and facts.plate_state != outside)


def _due(rule: Rule, trigger: datetime, cal: BusinessCalendar) -> datetime:
    return cal.due(trigger, rule.offset.amount, rule.offset.unit, rule.calendar == "business")


def _counted(rule: Rule) -> str:
    unit = rule.offset.unit if rule.offset.amount != 1 else rule.offset.unit.rstrip("s")
    extra = ", excluding weekends and holidays" if rule.calendar == "business" else ""
    return f"{rule.offset.amount} {unit} after {rule.trigger.replace('_', ' ')}{extra}"


def one(rule: DeadlineRule, facts: Facts, now: datetime, cal: BusinessCalendar) -> Deadline:
    trigger = facts.events[rule.trigger]
    due = _due(rule, trigger, cal)
    done = facts.events.get(rule.met_by)
    base = (rule.rule_id, rule.title, rule.citation, rule.kind, due)
    counted = _counted(rule)
    if done is not None:
        if done <= due:
            return Deadline(*base, "met", done, f"{rule.met_by} on time ({counted})")
        return Deadline(*base, "missed", done, f"{rule.met_by} late ({counted})")
    if facts.closed is not None and facts.closed[0] in rule.moot_when and facts.closed[1] <= due:
        return Deadline(*base, "met", facts.closed[1], f"moot: vehicle {facts.closed[0]} first")
    if now > due:
        return Deadline(*base, "missed", None, f"no {rule.met_by} ({counted})")
    return Deadline(*base, "open", None, f"due {counted}")


def deadlines(pack: RulePack, facts: Facts, now: datetime, cal: BusinessCalendar) -> list[Deadline]:
    """Every triggered deadline that applies, by due time: of each rule_id, the version in
    force on its trigger's local day."""
    out = []
    for rule_id in dict.fromkeys(r.rule_id for r in pack.deadlines):
        candidates = [
            r
            for r in pack.deadlines
            if r.rule_id == rule_id
            and r.trigger in facts.events
            and r.effective_from <= cal.local_day(facts.events[r.trigger])
        ]
        if not candidates:
            continue
        rule = max(candidates, key=lambda r: r.effective_from)
        if applies(rule, facts):
            out.append(one(rule, facts, now, cal))
    return sorted(out, key=lambda d: (d.due_at, d.rule_id))


def next_due(found: list[Deadline], facts: Facts) -> datetime | None:
    """The earliest agency deadline not met (open, or due and missed while the vehicle is
    still held): what the records worklist sorts and filters by."""
    if facts.closed is not None:
        return None
    pending = [d.due_at for d in found if d.kind == "agency" and d.met_at is None]
    return min(pending, default=None)


@dataclass(frozen=True, slots=True)
class Eligibility:
    rule_id: str
    citation: str
    eligible_at: datetime | None
    routes: tuple[str, ...]
    why: str


def disposal(pack: RulePack, facts: Facts, cal: BusinessCalendar) -> Eligibility | None:
    """When the vehicle may be disposed of under the rule of its value band (None while it
    is not valued: the band decides the rule)."""
    if facts.value_band is None:
        return None
    stored = facts.events.get("stored")
    on = cal.local_day(stored) if stored is not None else None
    rules: list[DisposalRule] = [
        r for r in (in_force(pack.disposal, on) if on else pack.disposal) if applies(r, facts)
    ]
    if not rules:
        return None
    rule = rules[0]
    trigger = facts.events.get(rule.trigger)
    if trigger is None:
        return Eligibility(rule.rule_id, rule.citation, None, rule.routes, f"awaits {rule.trigger}")
    amount, unit = rule.offset.amount, rule.offset.unit
    at = cal.not_before(trigger, amount, unit, rule.calendar == "business")
    return Eligibility(
        rule.rule_id, rule.citation, at, rule.routes, f"no earlier than {_counted(rule)}"
    )
