from __future__ import annotations

import os
import stat

import pytest
from pydantic import ValidationError

from csoapi.core import config
from csoapi.core.config import Settings
from csoapi.core.db import normalize_url


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_production_requires_a_strong_secret():
    with pytest.raises(ValidationError, match="CSOAPI_JWT_SECRET"):
        settings(env="production")
    with pytest.raises(ValidationError, match="CSOAPI_JWT_SECRET"):
        settings(env="production", jwt_secret="short")
    ok = settings(env="production", jwt_secret="x" * 32)
    assert "x" * 32 not in repr(ok)  # secrets never show in a repr


def test_dev_key_is_created_once_and_private(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DEV_SECRET_FILE", tmp_path / ".csoapi-dev-secret")
    first = settings(env="dev").signing_key()
    second = settings(env="dev").signing_key()
    assert first == second and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / ".csoapi-dev-secret").st_mode) == 0o600


def test_settings_validation():
    with pytest.raises(ValidationError):
        settings(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError):
        settings(access_token_minutes=60)
    assert settings(cors_origins="https://a.example, https://b.example").cors_origins == [
        "https://a.example",
        "https://b.example",
    ]


def test_database_urls_pick_the_driver():
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///./x.db") == "sqlite:///./x.db"
