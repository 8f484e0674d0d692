"""The OpenAPI document, rendered the same way for the committed file and the drift test."""

from __future__ import annotations

import json

from csoapi.core.config import Environment, Settings


def render() -> str:
    from csoapi.main import create_app

    # Settings that do not depend on the machine: the document must be identical everywhere.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env=Environment.test,
        jwt_secret="openapi-render-only-" + "x" * 32,  # type: ignore[arg-type]
        database_url="sqlite://",
    )
    app = create_app(settings)
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"
