"""What the ``csoapi`` commands share: one transaction per action, settings or a clear
error, and failing with a message instead of a traceback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from sqlmodel import Session

from csoapi.core.config import Settings, get_settings
from csoapi.core.context import RequestContext
from csoapi.core.db import make_engine, make_session_factory


@contextmanager
def cli_session() -> Iterator[tuple[Session, RequestContext]]:
    """One transaction for one CLI action, with an audit context that says 'cli'."""
    import csoapi.registry  # noqa: F401

    settings = _settings()
    engine = make_engine(settings.database_url, settings)
    ctx = RequestContext(
        principal=None, request_id=f"cli-{uuid.uuid4().hex}", source_ip=None, settings=settings
    )
    try:
        with make_session_factory(engine)() as session:
            try:
                yield session, ctx
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        engine.dispose()


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _settings() -> Settings:
    """The settings, or one line per fault and exit 1 (not a traceback) when they are wrong,
    e.g. a production start without CSOAPI_JWT_SECRET."""
    try:
        return get_settings()
    except ValidationError as exc:
        faults = [
            (f"CSOAPI_{'_'.join(map(str, e['loc'])).upper()}: " if e["loc"] else "") + e["msg"]
            for e in exc.errors()
        ]
        _fail("invalid settings: " + "; ".join(faults))
        raise  # unreachable: _fail exits
