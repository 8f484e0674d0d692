"""Imports every table model, so that metadata is complete for Alembic, start-up and tests."""

from sqlmodel import SQLModel

from csoapi.auth import models as auth_models  # noqa: F401
from csoapi.calls import models as call_models  # noqa: F401
from csoapi.citations import models as citation_models  # noqa: F401
from csoapi.clients import models as client_models  # noqa: F401
from csoapi.codes import models as code_models  # noqa: F401
from csoapi.core import audit, events, idempotency, numbering, ratelimit  # noqa: F401
from csoapi.reports import models as report_models  # noqa: F401
from csoapi.users import models as user_models  # noqa: F401
from csoapi.violations import models as violation_models  # noqa: F401

metadata = SQLModel.metadata
