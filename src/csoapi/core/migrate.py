"""Alembic from code: find the migrations, upgrade, and tell whether a database is at head."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from csoapi.core.db import normalize_url


def _project_root() -> Path:
    configured = os.environ.get("CSOAPI_ALEMBIC_INI")
    if configured:
        return Path(configured).resolve().parent
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (base / "alembic.ini").is_file() and (base / "migrations").is_dir():
            return base
    raise RuntimeError(
        "alembic.ini and migrations/ not found: run from the project directory "
        "or set CSOAPI_ALEMBIC_INI"
    )


def alembic_config(database_url: str) -> Config:
    root = _project_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


@lru_cache(maxsize=4)
def head_revisions(database_url: str) -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    return frozenset(script.get_heads())


def current_revisions(conn: sa.Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(conn).get_current_heads())
