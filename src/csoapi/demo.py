"""The demo agency (``csoapi seed-demo``, run by ``make run`` on an empty database): one user
of each role and one client of each kind, and enough of every main flow to walk through the
README: live calls in each state, the NYC violation schedule, citations a portal can look up
and pay (one part-paid), reports in a sergeant's queue, a few fleet items (one due for
maintenance, one checked out), and, from the trimmed city samples
shipped in the package (``csoapi.samples``), San Diego's call-type table and 300 historical
calls and 300 Los Angeles citations (placeholder plates: the city withholds them); the
field services (``demo_field``): permits, defect reports, assignments and outreach; and tows
(``demo_tows``): Chicago's towed vehicles as history, and a few of them on the lots now.

The logins are random, printed once and written to ``csoapi-demo.env`` beside the database
(mode 600, shell syntax: ``. ./csoapi-demo.env``)."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from csoapi.calls.schemas import CallSource
from csoapi.clients.schemas import ClientCreate
from csoapi.clients.service import ClientService
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.models import utcnow
from csoapi.core.scopes import ClientKind, Role, scopes_for
from csoapi.core.security import Principal
from csoapi.demo_field import seed_field
from csoapi.demo_tows import seed_tows, tow_history
from csoapi.samples import sample
from csoapi.users.models import User
from csoapi.users.repository import UserRepository
from csoapi.users.schemas import UserCreate
from csoapi.users.service import UserService

# (username, display name, badge, role, the env file's name for it)
DEMO_USERS = [
    ("admin", "Alex Admin", None, Role.admin, "ADMIN"),
    ("sgt.ramirez", "Sgt. Dana Ramirez", "S-214", Role.sergeant, "SERGEANT"),
    ("cso.nguyen", "CSO Kim Nguyen", "C-1043", Role.cso, "CSO"),
    ("cso.okafor", "CSO Tayo Okafor", "C-1077", Role.cso, "CSO2"),
    ("records.lee", "Jordan Lee (Records)", "R-301", Role.records, "RECORDS"),
]
DEMO_CLIENTS = [
    ("Demo CAD bridge", ClientKind.cad, "CAD"),
    ("Demo payment portal", ClientKind.payment_portal, "PORTAL"),
]
CREDENTIALS_FILE = "csoapi-demo.env"

# (call type, address, beat, what the caller said, where the call got to)
DEMO_CALLS = [
    ("PARKING", "1200 3RD AVE", "521", "Car blocking a driveway since this morning", "cleared"),
    ("ABANDONED_VEHICLE", "4400 PARK BLVD", "627", "Grey sedan, flat tyres, weeks", "on_scene"),
    ("NOISE", "300 W MARKET ST", "521", "Loud music from the second floor", "en_route"),
    ("FOUND_PROPERTY", "900 BROADWAY", "521", "Wallet handed in at the front desk", "dispatched"),
    ("THEFT_REPORT", "2100 EL CAJON BLVD", "813", "Catalytic converter stolen", "received"),
    ("WELFARE_CHECK", "1500 UNIVERSITY AVE", "627", "Neighbour not seen for days", "received"),
    ("COLLISION_NON_INJURY", "5TH AVE / B ST", "521", "Two cars, blocking a lane", "escalated"),
    ("DISPUTE_MEDIATION", "3800 RAY ST", "813", "Landlord and tenant arguing", "cancelled"),
]
# (plate, state, NYC violation code, address, days ago): what a portal can look up and pay
DEMO_CITATIONS = [
    ("DEMO001", "CA", "21", "1426 HARRIDGE DR", 3),
    ("DEMO001", "CA", "38", "600 WILSHIRE PL", 30),
    ("DEMO002", "CA", "14", "200 S FRANCIS ST", 1),
    ("DEMO003", "CA", "40", "900 BROADWAY", 70),
]
SCHEDULE_FROM = date(2020, 1, 1)  # the NYC schedule of January 2020


@dataclass
class Login:
    key: str  # ADMIN, CSO, PORTAL...
    kind: str  # user or client
    name: str  # username or client_id
    role: str
    secret: str

    def line(self) -> str:
        if self.kind == "user":
            return f"user {self.name:<14} role {self.role:<9} password {self.secret}"
        return f"client {self.role:<15} client_id {self.name} client_secret {self.secret}"


def as_principal(ctx: RequestContext, who: User | tuple[uuid.UUID, str, str]) -> RequestContext:
    """``ctx`` acting as a demo user, or as a client given (id, client_id, kind)."""
    if isinstance(who, User):
        kind, ident, name, role = "user", who.id, who.username, who.role
    else:
        kind, (ident, name, role) = "client", who
    principal = Principal(
        kind=kind,  # type: ignore[arg-type]
        id=ident,
        name=name,
        role=role,
        scopes=scopes_for(role),
        session_id=uuid.uuid4(),
        token_id="demo-seed",  # noqa: S106 - an id for the audit trail, not a secret
    )
    return replace(ctx, principal=principal)


def _seed_calls(session: Session, ctx: RequestContext, sergeant: User, cso: User) -> int:
    from csoapi.calls.schemas import AssignBody, CallCreate, EscalateBody, Location, StatusBody
    from csoapi.calls.service import CallService

    calls = CallService(session, as_principal(ctx, sergeant))
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


def _seed_citations(
    session: Session, ctx: RequestContext, cso: User, portal: tuple[uuid.UUID, str, str]
) -> int:
    """The NYC schedule, a few live citations, and a part payment by the portal."""
    from csoapi.citations.payments import PaymentService
    from csoapi.citations.schemas import (
        CitationCreate,
        CitationLocation,
        PaymentCreate,
        PaymentMethod,
    )
    from csoapi.citations.service import CitationService
    from csoapi.violations.service import import_schedule

    import_schedule(
        session,
        ctx,
        sample("nyc_violation_codes_2020-01.csv"),
        code_column=0,
        description_column=1,
        fine_column=3,  # "All Other Areas"
        effective_from=SCHEDULE_FROM,
    )
    citations = CitationService(session, as_principal(ctx, cso))
    issued = []
    for plate, state, code, address, days_ago in DEMO_CITATIONS:
        data = CitationCreate(
            plate=plate,
            plate_state=state,
            location=CitationLocation(address=address, beat="521"),
            violation_code=code,
            issued_at=utcnow() - timedelta(days=days_ago),
        )
        issued.append(citations.issue(data))
    PaymentService(session, as_principal(ctx, portal)).pay(
        issued[0].id,
        PaymentCreate(amount_cents=2000, method=PaymentMethod.card, reference="demo-portal-1"),
    )
    return len(issued)


def _seed_reports(session: Session, ctx: RequestContext, cso: User) -> int:
    """A submitted report (the sergeant's queue) and a draft (the CSO's own)."""
    from csoapi.reports.schemas import ReportCreate, ReportKind, ReportLocation
    from csoapi.reports.service import ReportService

    reports = ReportService(session, as_principal(ctx, cso))
    submitted = reports.create(
        ReportCreate(
            kind=ReportKind.incident,
            narrative="Wallet handed in at the front desk; owner not reached by phone.",
            location=ReportLocation(address="900 BROADWAY", beat="521"),
        )
    )
    reports.submit(submitted.id, None)
    reports.create(
        ReportCreate(kind=ReportKind.activity, narrative="Parking enforcement, beat 521.")
    )
    return 2


def _seed_fleet(session: Session, ctx: RequestContext, sergeant: User, cso: User) -> int:
    """A CSO truck (oil by odometer, inspection by date, one vendor service), a radar trailer
    due for its battery check, and a radio checked out to a CSO."""
    from csoapi.fleet.schemas import (
        FleetCreate,
        FleetServiceCreate,
        FleetTaskByDate,
        FleetTaskByOdometer,
    )
    from csoapi.fleet.upkeep import FleetUpkeep

    fleet = FleetUpkeep(session, as_principal(ctx, sergeant))
    today = date.today()
    truck = fleet.create(
        FleetCreate(
            kind="vehicle",
            unit_number="CSO-12",
            name="CSO truck 12",
            category="patrol_vehicle",
            make="Ford",
            model="F-150",
            year=2022,
            vin="1FTFW1E50NFA00001",
            plate="DEMO012",
            plate_state="CA",
            odometer=41200,
            maintenance=[
                FleetTaskByOdometer(task="Oil and filter", due_odometer=41000, every_miles=5000),
                FleetTaskByDate(
                    task="Safety inspection", due_on=today + timedelta(days=20), every_days=180
                ),
            ],
        )
    )
    oil = fleet.repo.tasks_of([truck.id])[truck.id][0]
    fleet.record_service(
        truck.id,
        FleetServiceCreate(
            vendor="Sunrise Fleet Repair",
            serviced_on=today - timedelta(days=2),
            odometer=41260,
            work_done="Oil and filter; wipers replaced",
            cost_cents=8950,
            invoice_ref="SFR-20417",
            completes=[oil.id],
        ),
    )
    _seed_equipment(fleet, cso, today)
    return 3


def _seed_equipment(fleet: Any, cso: User, today: date) -> None:
    from csoapi.fleet.schemas import FleetCheckoutCreate, FleetCreate, FleetTaskByDate

    fleet.create(
        FleetCreate(
            kind="equipment",
            unit_number="RT-2",
            name="Radar speed trailer 2",
            category="radar_trailer",
            serial_number="SMR-88812",
            maintenance=[
                FleetTaskByDate(
                    task="Battery and solar check", due_on=today - timedelta(days=1), every_days=30
                ),
            ],
        )
    )
    radio = fleet.create(
        FleetCreate(
            kind="equipment",
            unit_number="RADIO-14",
            name="Portable radio 14",
            category="radio",
            serial_number="APX-6000-1414",
        )
    )
    fleet.check_out(radio.id, FleetCheckoutCreate(holder_id=cso.id, purpose="Parking detail"), None)


def seed(session: Session, ctx: RequestContext, *, only_if_empty: bool) -> list[Login] | None:
    """Create the demo agency's accounts and live data; return its logins (None when
    ``only_if_empty`` and the database has users)."""
    if only_if_empty and UserRepository(session).count() > 0:
        return None
    users = UserService(session, ctx)
    logins: list[Login] = []
    made: dict[str, User] = {}
    for username, full_name, badge, role, key in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        made[key] = users.create(
            UserCreate(
                username=username,
                full_name=full_name,
                badge_number=badge,
                role=role,
                password=password,
            )
        )
        logins.append(Login(key, "user", username, role.value, password))
    clients: dict[str, tuple[uuid.UUID, str, str]] = {}
    for name, kind, key in DEMO_CLIENTS:
        created = ClientService(session, ctx).create(ClientCreate(name=name, kind=kind))
        clients[key] = (created.id, created.client_id, kind.value)
        logins.append(Login(key, "client", created.client_id, kind.value, created.client_secret))
    _seed_calls(session, ctx, made["SERGEANT"], made["CSO"])
    _seed_citations(session, ctx, made["CSO"], clients["PORTAL"])
    _seed_reports(session, ctx, made["CSO"])
    seed_field(session, ctx, made, as_principal)
    _seed_fleet(session, ctx, made["SERGEANT"], made["CSO"])
    seed_tows(session, ctx, made, as_principal)
    return logins


def seed_history(factory: sessionmaker[Session], settings: Settings) -> dict[str, int]:
    """The shipped city samples through the importers (after ``seed`` has committed: the
    importers write in transactions of their own)."""
    from csoapi.calls.importer import import_call_types, import_calls, load_mapping
    from csoapi.citations.importer import citation_mapping, import_citations

    sd = load_mapping("san_diego")
    types = import_call_types(factory, sample("san_diego_calltypes.csv"), sd)
    calls = import_calls(factory, settings, sample("san_diego_calls_2023-01-01.csv"), sd)
    tickets = import_citations(
        factory,
        settings,
        sample("la_citations_2020-07-01.csv"),
        citation_mapping("la"),
        placeholder_plates=True,
    )
    return {
        "call types": types.stored,
        "historical calls": calls.stored,
        "LA citations": tickets.stored,
        "Chicago tows": tow_history(factory, settings),
    }


def credentials_path(database_url: str) -> Path:
    """Beside a SQLite database file; in the working directory otherwise."""
    if database_url.startswith("sqlite") and ":///" in database_url:
        name = database_url.split(":///", 1)[1].split("?", 1)[0]
        if name and name != ":memory:":
            return Path(name).parent / CREDENTIALS_FILE
    return Path(CREDENTIALS_FILE)


def write_credentials(path: Path, logins: list[Login]) -> None:
    """The logins in shell syntax (``. ./csoapi-demo.env``), readable by its owner only."""
    lines = [
        "# csoapi demo agency logins, written by `csoapi seed-demo`. Demo data only.",
        "# In a shell: . ./csoapi-demo.env   (then $CSO_USERNAME, $CSO_PASSWORD, ...)",
    ]
    for login in logins:
        user_or_id = "USERNAME" if login.kind == "user" else "CLIENT_ID"
        secret = "PASSWORD" if login.kind == "user" else "CLIENT_SECRET"
        lines += [f"{login.key}_{user_or_id}={login.name}", f"{login.key}_{secret}={login.secret}"]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


class AlreadySeeded(Exception):
    pass


SessionScope = Callable[[], AbstractContextManager[tuple[Session, RequestContext]]]


def seed_agency(settings: Settings, scope: SessionScope, *, only_if_empty: bool) -> list[str]:
    """``seed-demo``: the accounts and live data in one transaction (``scope``), then the
    city samples, then the credentials file; the lines to print. A database that has users
    already is left alone: a line saying so with ``only_if_empty``, else ``AlreadySeeded``."""
    where = credentials_path(settings.database_url)
    with scope() as (session, ctx):
        if UserRepository(session).count() > 0:
            message = f"the database already has users; demo logins, if seeded, are in {where}"
            if only_if_empty:
                return [f"demo data: {message}; nothing seeded"]
            raise AlreadySeeded(message + ".")
        logins = seed(session, ctx, only_if_empty=False) or []
    engine = make_engine(settings.database_url, settings)
    try:
        counts = seed_history(make_session_factory(engine), settings)
    finally:
        engine.dispose()
    write_credentials(where, logins)
    return [
        f"demo data seeded ({', '.join(f'{n} {k}' for k, n in counts.items())}).",
        f"Logins (also in {where}, mode 600; `. {where}` in a shell):",
        *(f"  {login.line()}" for login in logins),
    ]
