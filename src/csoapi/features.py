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
from csoapi.auth import models as auth_models
from csoapi.auth import router as auth_router
from csoapi.calls import catalogue as call_events
from csoapi.calls import models as call_models
from csoapi.calls import router as calls_router
from csoapi.calls import stats as call_stats
from csoapi.citations import catalogue as citation_events
from csoapi.citations import links as citation_links
from csoapi.citations import models as citation_models
from csoapi.citations import payments_router, vehicles_router
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
from csoapi.events import router as events_router
from csoapi.permits import catalogue as permit_events
from csoapi.permits import models as permit_models
from csoapi.permits import router as permits_router
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
        [auth_router.router],
        [("auth", "Tokens, revocation, the current principal")],
        [auth_models],
    ),
    Feature(
        "users", [users_router.router], [("users", "People who sign in (admin)")], [user_models]
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
    Feature(
        "violations",
        [violations_router.router],
        [("violations", "The violation schedule (admin keeps)")],
        [violation_models],
    ),
    Feature(
        "citations",
        [citations_router.router, payments_router.router, vehicles_router.router],
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
        "permits",
        [permits_router.router],
        [("permits", "Parking permits: zones, issue, check, revocation, print")],
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
