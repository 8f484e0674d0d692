"""Alembic environment: the project's metadata, batch mode on SQLite, URL from settings."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlmodel.sql.sqltypes import AutoString

from csoapi.core.db import make_engine, normalize_url
from csoapi.core.models import UTCDateTime
from csoapi.registry import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from csoapi.core.config import get_settings

        url = get_settings().database_url
    return normalize_url(url)


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render project types plainly: UTC timestamps by name, SQLModel strings as sa.String."""
    if type_ == "type":
        if isinstance(obj, UTCDateTime):
            return "csoapi_types.UTCDateTime()"
        if isinstance(obj, AutoString):
            return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(**kw: object) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        **kw,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url(), poolclass=__import__("sqlalchemy").pool.NullPool)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
