"""Demo data for a fresh installation: one of each role, one of each client kind."""

from __future__ import annotations

import secrets

from sqlmodel import Session

from csoapi.clients.schemas import ClientCreate
from csoapi.clients.service import ClientService
from csoapi.core.context import RequestContext
from csoapi.core.scopes import ClientKind, Role
from csoapi.users.repository import UserRepository
from csoapi.users.schemas import UserCreate
from csoapi.users.service import UserService

DEMO_USERS = [
    ("admin", "Alex Admin", None, Role.admin),
    ("sgt.ramirez", "Sgt. Dana Ramirez", "S-214", Role.sergeant),
    ("cso.nguyen", "CSO Kim Nguyen", "C-1043", Role.cso),
    ("cso.okafor", "CSO Tayo Okafor", "C-1077", Role.cso),
    ("records.lee", "Jordan Lee (Records)", "R-301", Role.records),
]
DEMO_CLIENTS = [
    ("Demo CAD bridge", ClientKind.cad),
    ("Demo payment portal", ClientKind.payment_portal),
]


def seed(session: Session, ctx: RequestContext, *, only_if_empty: bool) -> list[str] | None:
    """Create the demo accounts; return printable login lines (or None when skipped)."""
    if only_if_empty and UserRepository(session).count() > 0:
        return None
    users = UserService(session, ctx)
    lines: list[str] = []
    for username, full_name, badge, role in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        users.create(
            UserCreate(
                username=username,
                full_name=full_name,
                badge_number=badge,
                role=role,
                password=password,
            )
        )
        lines.append(f"user {username:<14} role {role.value:<9} password {password}")
    clients = ClientService(session, ctx)
    for name, kind in DEMO_CLIENTS:
        created = clients.create(ClientCreate(name=name, kind=kind))
        lines.append(
            f"client {kind.value:<15} client_id {created.client_id} "
            f"client_secret {created.client_secret}"
        )
    return lines
