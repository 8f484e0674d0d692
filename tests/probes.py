"""Routes a test adds to an app, on the one road every route takes (``core.carrier``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from csoapi.core.carrier import carrier
from csoapi.core.context import RequestContext


class Probe:
    """A test route's service: the unit's session and context, as a feature's would have."""

    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx


Anyone = carrier(Probe, public=True)
SignedIn = carrier(Probe)


async def close(app: Any) -> None:
    """Dispose of the engines an app made for itself."""
    if app.state.engine is not None:
        app.state.engine.dispose()
    if app.state.async_engine is not None:
        await app.state.async_engine.dispose()
