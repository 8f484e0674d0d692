"""Demo data for a fresh installation: one of each role, one of each client kind."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace

from sqlmodel import Session

from csoapi.calls.schemas import CallSource
from csoapi.clients.schemas import ClientCreate
from csoapi.clients.service import ClientService
from csoapi.core.context import RequestContext
from csoapi.core.scopes import ClientKind, Role, scopes_for
from csoapi.core.security import Principal
from csoapi.users.models import User
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


# (call type, address, beat, what the caller said, where the call got to)
DEMO_CALLS = [
    ("PARKING", "1200 3RD AVE", "521", "Car blocking a driveway since this morning", "cleared"),
    (
        "ABANDONED_VEHICLE",
        "4400 PARK BLVD",
        "627",
        "Grey sedan, flat tyres, three weeks",
        "on_scene",
    ),
    ("NOISE", "300 W MARKET ST", "521", "Loud music from the second floor", "en_route"),
    ("FOUND_PROPERTY", "900 BROADWAY", "521", "Wallet handed in at the front desk", "dispatched"),
    (
        "THEFT_REPORT",
        "2100 EL CAJON BLVD",
        "813",
        "Catalytic converter stolen overnight",
        "received",
    ),
    ("WELFARE_CHECK", "1500 UNIVERSITY AVE", "627", "Neighbour not seen for days", "received"),
    (
        "COLLISION_NON_INJURY",
        "5TH AVE / B ST",
        "521",
        "Two cars, no injuries, blocking a lane",
        "escalated",
    ),
    (
        "DISPUTE_MEDIATION",
        "3800 RAY ST",
        "813",
        "Landlord and tenant arguing over a lockout",
        "cancelled",
    ),
]


def _seed_calls(session: Session, ctx: RequestContext, sergeant: User, cso: User) -> int:
    from csoapi.calls.schemas import AssignBody, CallCreate, EscalateBody, Location, StatusBody
    from csoapi.calls.service import CallService

    principal = Principal(
        kind="user",
        id=sergeant.id,
        name=sergeant.username,
        role=sergeant.role,
        scopes=scopes_for(sergeant.role),
        session_id=uuid.uuid4(),
        token_id="demo-seed",  # noqa: S106 - an id for the audit trail, not a secret
    )
    calls = CallService(session, replace(ctx, principal=principal))
    steps = ["dispatched", "en_route", "on_scene", "cleared"]
    for call_type, address, beat, description, state in DEMO_CALLS:
        call = calls.create(
            CallCreate(
                source=CallSource.phone,
                call_type=call_type,
                location=Location(address=address, beat=beat),
                description=description,
            )
        )
        if state == "escalated":
            calls.escalate(call.id, EscalateBody(reason="Driver became aggressive"), None)
        elif state == "cancelled":
            calls.change_status(
                call.id, StatusBody(status="cancelled", reason="Parties left"), None
            )
        elif state != "received":
            calls.assign(call.id, AssignBody(assigned_to=cso.id), None)
            for step in steps[1 : steps.index(state) + 1]:
                dispo = "CITATION_ISSUED" if step == "cleared" else None
                calls.change_status(call.id, StatusBody(status=step, disposition=dispo), None)
    return len(DEMO_CALLS)


def seed(session: Session, ctx: RequestContext, *, only_if_empty: bool) -> list[str] | None:
    """Create the demo accounts; return printable login lines (or None when skipped)."""
    if only_if_empty and UserRepository(session).count() > 0:
        return None
    users = UserService(session, ctx)
    lines: list[str] = []
    made: dict[str, User] = {}
    for username, full_name, badge, role in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        made[username] = users.create(
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
    n = _seed_calls(session, ctx, made["sgt.ramirez"], made["cso.nguyen"])
    lines.append(f"{n} demo calls for service")
    return lines
