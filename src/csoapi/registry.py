"""Every table model, so that metadata is complete for Alembic, start-up and tests: the
platform's (core) and each registered feature's (``csoapi.features``)."""

from sqlmodel import SQLModel

from csoapi.core import audit, audit_chain, events, idempotency, numbering, ratelimit  # noqa: F401
from csoapi.features import ALL

MODEL_MODULES = [m for feature in ALL for m in feature.models]
metadata = SQLModel.metadata
