"""Plain functions that arrange rows and tokens for tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from csoapi.auth.models import AuthSession
from csoapi.clients.models import ApiClient
from csoapi.clients.schemas import ClientCreate
from csoapi.clients.service import ClientService
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.models import utcnow
from csoapi.core.scopes import ClientKind, Role, scopes_for
from csoapi.core.security import issue_access_token
from csoapi.problem_catalogue import load as problem_codes
from csoapi.users.models import User
from csoapi.users.schemas import UserCreate
from csoapi.users.service import UserService

PASSWORD = "correct horse battery staple"


def ctx(settings: Settings) -> RequestContext:
    return RequestContext(principal=None, request_id="test", source_ip=None, settings=settings)


def create_user(
    db: Session,
    settings: Settings,
    role: Role | str = Role.cso,
    *,
    username: str | None = None,
    password: str = PASSWORD,
    **extra: Any,
) -> User:
    user = UserService(db, ctx(settings)).create(
        UserCreate(
            username=username or f"{Role(role).value}.{uuid.uuid4().hex[:8]}",
            full_name=extra.pop("full_name", "Test Person"),
            role=Role(role),
            password=password,
            **extra,
        )
    )
    db.commit()
    return user


def create_organization(db: Session, settings: Settings, name: str = "Helping Hands") -> Any:
    """An organization of the service directory (what a provider client is bound to)."""
    from csoapi.directory.schemas import OrganizationCreate
    from csoapi.directory.service import DirectoryService

    org = DirectoryService(db, ctx(settings)).create_organization(
        OrganizationCreate(name=name, description=f"{name}, a test organization")
    )
    db.commit()
    return org


def create_client(
    db: Session,
    settings: Settings,
    kind: ClientKind | str,
    *,
    organization_id: uuid.UUID | None = None,
) -> tuple[ApiClient, str]:
    if ClientKind(kind) == ClientKind.provider and organization_id is None:
        organization_id = create_organization(db, settings).id
    created = ClientService(db, ctx(settings)).create(
        ClientCreate(name=f"test {kind}", kind=ClientKind(kind), organization_id=organization_id)
    )
    db.commit()
    client = db.get(ApiClient, created.id)
    assert client is not None
    return client, created.client_secret


def token_for(
    db: Session, settings: Settings, who: User | ApiClient, scopes: frozenset[str] | None = None
) -> str:
    """Mint an access token the way the token endpoint does, without the password hash cost."""
    now = utcnow()
    if isinstance(who, User):
        session = AuthSession(user_id=who.id, expires_at=now + timedelta(days=1))
        kind, role = "user", who.role
    else:
        session = AuthSession(client_id=who.id, expires_at=now + timedelta(minutes=15))
        kind, role = "client", who.kind
    db.add(session)
    db.commit()
    issued = issue_access_token(
        settings,
        subject=who.id,
        kind=kind,
        role=role,  # type: ignore[arg-type]
        scopes=scopes if scopes is not None else scopes_for(role),
        session_id=session.id,
    )
    return issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def headers_for(db: Session, settings: Settings, role: str) -> dict[str, str]:
    """Bearer headers for a fresh principal of a role or client kind."""
    if role in {k.value for k in ClientKind}:
        client, _ = create_client(db, settings, role)
        return bearer(token_for(db, settings, client))
    return bearer(token_for(db, settings, create_user(db, settings, role)))


# Raised by routes and services that tests build themselves (test_sessions, test_hold_service).
TEST_ONLY_CODES = {"probe_refused", "thing_not_found"}


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    for field in ("type", "title", "status", "detail", "instance", "code"):
        assert field in body, (field, body)
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    # Every code a test sees has its page (/problems/{code}): the registry names it (but
    # the codes of routes tests mount on an app of their own).
    assert body["code"] in problem_codes() or body["code"] in TEST_ONLY_CODES, (
        f"problem code {body['code']!r} is not in csoapi/problem_codes.json: run make openapi"
    )
    text = response.text.lower()
    for leak in ("traceback", "sqlalchemy", "psycopg", "select ", "insert into", "signing-key"):
        assert leak not in text, (leak, body)
    return body


@dataclass(frozen=True)
class Who:
    """A principal for a test: its bearer headers, its id and its role or client kind."""

    headers: dict[str, str]
    id: str
    role: str


def person(db: Session, settings: Settings, role: str) -> Who:
    user = create_user(db, settings, role)
    return Who(bearer(token_for(db, settings, user)), str(user.id), role)


def machine(db: Session, settings: Settings, kind: str) -> Who:
    client, _ = create_client(db, settings, kind)
    return Who(bearer(token_for(db, settings, client)), str(client.id), kind)


def everyone(db: Session, settings: Settings) -> dict[str, Who]:
    """One principal of every role and every machine-client kind, keyed by role or kind."""
    people = {r.value: person(db, settings, r.value) for r in Role}
    return people | {k.value: machine(db, settings, k.value) for k in ClientKind}
