"""Every /api/v1 router, in one place."""

from fastapi import APIRouter, Depends

from csoapi.audit.router import router as audit_router
from csoapi.auth.router import router as auth_router
from csoapi.calls.router import router as calls_router
from csoapi.citations.payments_router import router as payments_router
from csoapi.citations.router import router as citations_router
from csoapi.citations.vehicles_router import router as vehicles_router
from csoapi.clients.router import router as clients_router
from csoapi.codes.router import router as codes_router
from csoapi.core.schemas import unique_json_keys
from csoapi.events.router import router as events_router
from csoapi.reports.router import router as reports_router
from csoapi.users.router import router as users_router
from csoapi.violations.router import router as violations_router

# Every route: a JSON body naming a key twice is refused (422) before anything else looks at it.
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(unique_json_keys)])
# Routes are matched in order, one by one (a few microseconds each), so the hot paths come
# first: the portals' lookups and payments, CAD's calls, officers' citations. No two routers
# share a prefix, so the order changes nothing else.
for r in (
    citations_router,
    calls_router,
    payments_router,
    vehicles_router,
    auth_router,
    users_router,
    clients_router,
    codes_router,
    reports_router,
    violations_router,
    audit_router,
    events_router,
):
    api_router.include_router(r)
