"""Every /api/v1 router, from the feature registry (``csoapi.features``)."""

from fastapi import APIRouter, Depends

from csoapi.core.schemas import unique_json_keys
from csoapi.features import ALL

# Every route: a JSON body naming a key twice is refused (422) before anything else looks at it.
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(unique_json_keys)])
for feature in sorted(ALL, key=lambda f: f.route_order):  # the hot paths first
    for r in feature.routers:
        api_router.include_router(r)
