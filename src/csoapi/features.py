"""Every feature, registered in one place: its tables, its routers, its OpenAPI tags and what
it contributes to the call timeline. A new feature is its own package, one entry here, a
migration and its tests (see ARCHITECTURE.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from fastapi import APIRouter

from csoapi.assignments import catalogue as assignment_events
from csoapi.assignments import links as assignment_links
from csoapi.assignments import models as assignment_models
from csoapi.assignments import router as assignments_router
from csoapi.audit import router as audit_router
from csoapi.auth import mfa_router
from csoapi.auth import models as auth_models
from csoapi.auth import router as auth_router
from csoapi.calls import catalogue as call_events
from csoapi.calls import models as call_models
from csoapi.calls import router as calls_router
from csoapi.calls import stats as call_stats
from csoapi.citations import catalogue as citation_events
from csoapi.citations import links as citation_links
from csoapi.citations import models as citation_models
from csoapi.citations import payments_router, renewals_router, vehicles_router
from csoapi.citations import router as citations_router
from csoapi.citations import stats as citation_stats
from csoapi.clients import models as client_models
from csoapi.clients import router as clients_router
from csoapi.codes import models as code_models
from csoapi.codes import router as codes_router
from csoapi.core.event_types import EventType
from csoapi.core.figures import StatsSource
from csoapi.core.links import CallLinks
from csoapi.defects import catalogue as defect_events
from csoapi.defects import models as defect_models
from csoapi.defects import router as defects_router
from csoapi.directory import hsds_router
from csoapi.directory import models as directory_models
from csoapi.directory import router as directory_router
from csoapi.events import router as events_router
from csoapi.evidence import audits_router as evidence_audits_router
from csoapi.evidence import catalogue as evidence_events
from csoapi.evidence import dispositions_router as evidence_dispositions_router
from csoapi.evidence import links as evidence_links
from csoapi.evidence import locations_router as evidence_locations_router
from csoapi.evidence import log_router as evidence_log_router
from csoapi.evidence import models as evidence_models
from csoapi.evidence import router as evidence_router
from csoapi.evidence import stats as evidence_stats
from csoapi.evidence.dispositions import EVIDENCE_HOLDS
from csoapi.fleet import catalogue as fleet_events
from csoapi.fleet import models as fleet_models
from csoapi.fleet import router as fleet_router
from csoapi.fleet import stats as fleet_stats
from csoapi.holds import catalogue as hold_events
from csoapi.holds import models as hold_models
from csoapi.holds.router import subject_router
from csoapi.impounds import catalogue as impound_events
from csoapi.impounds import eligibility_router
from csoapi.impounds import links as impound_links
from csoapi.impounds import models as impound_models
from csoapi.impounds import money_router as impound_money_router
from csoapi.impounds import notices_router as impound_notices_router
from csoapi.impounds import router as impounds_router
from csoapi.impounds import stats as impound_stats
from csoapi.impounds.service import IMPOUND_HOLDS
from csoapi.outreach import catalogue as outreach_events
from csoapi.outreach import models as outreach_models
from csoapi.outreach import router as outreach_router
from csoapi.outreach import stats as outreach_stats
from csoapi.outreach import watch_router as outreach_watch_router
from csoapi.permits import catalogue as permit_events
from csoapi.permits import models as permit_models
from csoapi.permits import router as permits_router
from csoapi.referrals import catalogue as referral_events
from csoapi.referrals import models as referral_models
from csoapi.referrals import router as referrals_router
from csoapi.referrals import stats as referral_stats
from csoapi.reports import catalogue as report_events
from csoapi.reports import links as report_links
from csoapi.reports import models as report_models
from csoapi.reports import router as reports_router
from csoapi.stats.router import build_router as stats_router
from csoapi.timeline.router import build_router as timeline_router
from csoapi.users import models as user_models
from csoapi.users import router as users_router
from csoapi.violations import models as violation_models
from csoapi.violations import router as violations_router
from csoapi.webhooks import models as webhook_models
from csoapi.webhooks import router as webhooks_router


@dataclass(frozen=True)
class Feature:
    name: str
    routers: Sequence[APIRouter]
    tags: Sequence[tuple[str, str]]  # (name, description) for OpenAPI
    models: Sequence[ModuleType] = ()
    call_links: CallLinks | None = None  # its records that name a call, for the timeline
    stats: StatsSource | None = None  # its figures in the programme statistics
    events: Sequence[EventType] = ()  # every event type it appends (the catalogue)
    # Routes are matched one by one, in order (a few microseconds each): the portals' and
    # CAD's hot paths come first.
    route_order: int = 100


FEATURES: tuple[Feature, ...] = (
    Feature(
        "auth",
        [auth_router.router, mfa_router.router],
        [("auth", "Tokens, revocation, the current principal, second factors")],
        [auth_models],
    ),
    Feature(
        "users",
        [users_router.router, users_router.staff_router],
        [("users", "People who sign in (admin); dispatchable staff (calls:dispatch)")],
        [user_models],
    ),
    Feature(
        "clients",
        [clients_router.router],
        [("clients", "Machine clients: CAD, payment portals (admin)")],
        [client_models],
    ),
    Feature(
        "codes",
        [codes_router.router],
        [("codes", "Call types, dispositions and offenses (admin keeps)")],
        [code_models],
    ),
    Feature(
        "calls",
        [calls_router.router],
        [("calls", "Calls for service: intake, dispatch, status, timeline")],
        [call_models],
        stats=call_stats.figures,
        events=call_events.EVENTS,
        route_order=1,
    ),
    Feature(
        "reports",
        [reports_router.router],
        [("reports", "Reports: drafting, review, records, release")],
        [report_models],
        call_links=report_links.on_call,
        events=report_events.EVENTS,
    ),
    # Holds have no routes of their own: each feature whose records can be held mounts
    # ``holds.router.subject_router`` for them.
    Feature("holds", [], [], [hold_models], events=hold_events.EVENTS),
    Feature(
        "violations",
        [violations_router.router],
        [("violations", "The violation schedule (admin keeps)")],
        [violation_models],
    ),
    Feature(
        "citations",
        [
            citations_router.router,
            payments_router.router,
            vehicles_router.router,
            renewals_router.router,
        ],
        [
            ("citations", "Parking citations and warnings"),
            ("payments", "Payments, reversals, reconciliation"),
            ("vehicles", "Plates: open citations, tow eligibility, scofflaws"),
        ],
        [citation_models],
        call_links=citation_links.on_call,
        stats=citation_stats.figures,
        events=citation_events.EVENTS,
        route_order=0,
    ),
    Feature(
        "impounds",
        [
            # Before the impound routes, so that /impounds/holds is no impound id.
            subject_router(
                IMPOUND_HOLDS,
                prefix="/impounds",
                tag="impounds",
                read_scope="impounds:read",
                write_scope="impounds:holds",
            ),
            impound_money_router.router,  # /impounds/lookup, before /impounds/{id}
            impounds_router.router,
            impound_notices_router.router,
            eligibility_router.router,
        ],
        [("impounds", "Tows and impounds: deadlines, notices, hearings, fees, holds, release")],
        [impound_models],
        call_links=impound_links.on_call,
        events=impound_events.EVENTS,
        stats=impound_stats.figures,
    ),
    Feature(
        "evidence",
        # Fixed paths (/evidence/locations, /evidence/custody/bulk) before /evidence/{id}.
        [
            evidence_locations_router.router,
            evidence_audits_router.router,
            evidence_log_router.router,
            subject_router(
                EVIDENCE_HOLDS,
                prefix="/evidence",
                tag="evidence",
                read_scope="evidence:read",
                write_scope="evidence:approve",
            ),
            evidence_dispositions_router.router,  # /evidence/stats/… before /evidence/{id}
            evidence_router.router,
        ],
        [("evidence", "Evidence and property: intake, locations, chain of custody, labels")],
        [evidence_models],
        call_links=evidence_links.on_call,
        events=evidence_events.EVENTS,
        stats=evidence_stats.figures,
    ),
    Feature(
        "directory",
        [directory_router.router, hsds_router.router],
        [
            ("services", "The service directory: search (CSOs), upkeep (admins), HSDS 3.0 names"),
            ("hsds", "The service directory as an Open Referral HSDS 3.0 API"),
        ],
        [directory_models],
    ),
    Feature(
        "referrals",
        [referrals_router.router, referrals_router.calls_router],
        [("referrals", "Referrals to services: consent, closed loop with providers, FHIR")],
        [referral_models],
        events=referral_events.EVENTS,
        stats=referral_stats.figures,
    ),
    Feature(
        "permits",
        [permits_router.router],
        [("permits", "Parking permits: zones, issue, check, revocation, print, portal renewal")],
        [permit_models],
        events=permit_events.EVENTS,
    ),
    Feature(
        "defects",
        [defects_router.router],
        [("defects", "Defect reports forwarded to 311 (Open311 GeoReport v2)")],
        [defect_models],
        events=defect_events.EVENTS,
    ),
    Feature(
        "assignments",
        [assignments_router.router],
        [("assignments", "Special events, traffic control, escorts, radar trailers; schedules")],
        [assignment_models],
        call_links=assignment_links.on_call,
        events=assignment_events.EVENTS,
    ),
    Feature(
        "outreach",
        [outreach_router.router, outreach_watch_router.router],
        [("outreach", "Community events and meetings; Neighborhood Watch groups")],
        [outreach_models],
        stats=outreach_stats.figures,
        events=outreach_events.EVENTS,
    ),
    Feature(
        "fleet",
        [fleet_router.router],
        [("fleet", "Vehicles and equipment: maintenance, vendor service, check-out and return")],
        [fleet_models],
        events=fleet_events.EVENTS,
        stats=fleet_stats.figures,
    ),
    Feature("audit", [audit_router.router], [("audit", "The audit trail")]),
    Feature("events", [events_router.router], [("events", "The event feed (outbox)")]),
    Feature(
        "webhooks",
        [webhooks_router.router],
        [("webhooks", "Standard Webhooks subscriptions and deliveries (machine clients)")],
        [webhook_models],
    ),
)

# Above the features it reads: the call timeline, with every feature's contribution.
TIMELINE = Feature(
    "timeline",
    [timeline_router([f.call_links for f in FEATURES if f.call_links is not None])],
    [],
    route_order=2,
)
# Above the features it reads: the programme statistics, with every feature's figures.
STATS = Feature(
    "stats",
    [stats_router([f.stats for f in FEATURES if f.stats is not None])],
    [("stats", "Programme statistics, small cells withheld")],
)
ALL: tuple[Feature, ...] = (*FEATURES, TIMELINE, STATS)


def openapi_tags() -> list[dict[str, str]]:
    tags = [{"name": n, "description": d} for f in ALL for n, d in f.tags]
    return [*tags, {"name": "health", "description": "Liveness and readiness"}]


def event_catalogue() -> dict[str, EventType]:
    """Every event type any feature appends, by name."""
    return {e.name: e for f in ALL for e in f.events}
