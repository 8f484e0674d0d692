"""The ``csoapi`` command: serve, migrate, worker, users, clients, seed-demo, verify-custody,
export-openapi; ``csoapi import …`` is in ``csoapi.cli_imports``."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from csoapi.cli_common import _fail, _settings, cli_session
from csoapi.cli_imports import import_app
from csoapi.core.config import Settings
from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.errors import DomainError
from csoapi.core.scopes import ClientKind, Role

app = typer.Typer(help="csoapi: the Community Service Officer operations API", no_args_is_help=True)
users_app = typer.Typer(help="Manage users", no_args_is_help=True)
clients_app = typer.Typer(help="Manage machine clients", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail's hash chain", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(clients_app, name="clients")
app.add_typer(import_app, name="import")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind", envvar="CSOAPI_HOST")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="TCP port", envvar="CSOAPI_PORT", min=1, max=65535)
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    settings = _settings()
    settings.signing_key()  # create the dev key once, before workers start
    uvicorn.run(
        "csoapi.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        **server_options(settings),
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options of ``serve`` (tests build the served app from the same ones).

    uvicorn's own proxy-header handling stays off: it believes X-Forwarded-For from
    127.0.0.1 unless told otherwise and passes the forwarded value on as written. The app
    finds the caller's address itself, trusting only ``CSOAPI_TRUSTED_PROXIES``
    (``core.proxies``)."""
    return {
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
        "log_level": settings.log_level.lower(),
    }


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
    app_role: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL: then grant this role (the one `serve` connects as) what serving "
            "needs, with the audit, payment and custody tables append-only to it"
        ),
    ] = None,
) -> None:
    """Bring the database schema to the newest migration (or REVISION). Run it as the tables'
    owner; serve as another role, given its grants by --app-role."""
    from csoapi.core.migrate import upgrade
    from csoapi.core.roles import grant_app_role

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database migrated to {revision}")
    if app_role is not None:
        try:
            frozen = grant_app_role(settings.database_url, app_role)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"role {app_role} granted; append-only to it: {', '.join(frozen)}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Sign-in name")],
    role: Annotated[Role, typer.Option(help="cso, sergeant, records or admin")],
    full_name: Annotated[str | None, typer.Option(help="Display name")] = None,
    badge_number: Annotated[str | None, typer.Option(help="Badge or employee number")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user. Without --password-stdin a random password is made and printed once."""
    from csoapi.users.schemas import UserCreate, UserRead
    from csoapi.users.service import UserService

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    generated = password is None
    password = password or secrets.token_urlsafe(15)
    try:
        data = UserCreate(
            username=username,
            full_name=full_name or username,
            badge_number=badge_number,
            role=role,
            password=password,
        )
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        return
    try:
        with cli_session() as (session, ctx):
            user = UserService(session, ctx).create(data)
            out = json.loads(UserRead.model_validate(user).model_dump_json())
    except DomainError as exc:
        _fail(exc.detail)
        return
    if generated:
        out["password"] = password
    typer.echo(json.dumps(out, indent=2))


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option(help="Who the client is, e.g. 'Metro CAD bridge'")],
    kind: Annotated[ClientKind, typer.Option(help="cad, payment_portal or provider")],
    organization: Annotated[
        str | None, typer.Option(help="A provider's organization id (the service directory)")
    ] = None,
) -> None:
    """Register a machine client; prints JSON with client_id and client_secret (shown once)."""
    from csoapi.clients.schemas import ClientCreate
    from csoapi.clients.service import ClientService

    try:
        data = ClientCreate(name=name, kind=kind, organization_id=organization)
    except ValidationError as exc:
        _fail(str(exc.errors()[0]["msg"]))
        return
    with cli_session() as (session, ctx):
        try:
            created = ClientService(session, ctx).create(data)
        except DomainError as exc:
            _fail(exc.detail)
            return
    typer.echo(created.model_dump_json(indent=2))


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    batch: Annotated[int, typer.Option(min=1, max=500, help="Deliveries per claim")] = 10,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests of a batch in flight at once")
    ] = 4,
    idle: Annotated[float, typer.Option(min=0.05, help="Seconds to wait when idle")] = 1.0,
    lease: Annotated[
        float | None,
        typer.Option(
            help="Seconds a claimed batch stays this worker's, after which another worker (or "
            "this one restarted) may send it (default: the batch at the receivers' timeout, "
            "plus 60); more than the timeout (15 s)"
        ),
    ] = None,
) -> None:
    """Deliver webhooks: fan the event log out to endpoints and send due deliveries; with
    CSOAPI_OPEN311_ENDPOINT set, forward defect reports to 311 and poll their status. Run
    several on PostgreSQL (they share the work); one on SQLite."""
    import signal
    import threading

    import csoapi.registry  # noqa: F401
    from csoapi.core.audit_chain import seal_pass
    from csoapi.defects.forwarder import Forwarder
    from csoapi.webhooks.worker import Worker

    settings = _settings()
    engine = make_engine(settings.database_url, settings)
    stop = threading.Event()
    try:
        sessions = make_session_factory(engine)
        try:
            runner = Worker(
                sessions, settings, batch=batch, concurrency=concurrency, lease_seconds=lease
            )
        except ValueError as exc:
            _fail(str(exc))
            return
        # Defect reports go to 311 from the same process when an endpoint is set.
        also = [Forwarder(sessions, settings).run_once] if settings.open311_endpoint else []
        also.append(lambda: seal_pass(sessions))  # the audit trail's hash chain
        if once:
            runner.run_once()
            for other in also:
                other()
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        typer.echo(f"webhook worker {runner.ctx.request_id} running; Ctrl-C stops it", err=True)
        runner.run(stop, idle_seconds=idle, also=also)
    finally:
        engine.dispose()


@audit_app.command("seal")
def audit_seal(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per transaction")] = 1000,
) -> None:
    """Seal every audit row not yet in the hash chain (the worker does this on every pass)."""
    from csoapi.core.audit_chain import seal

    total = 0
    with cli_session() as (session, _):
        while done := seal(session, batch):
            session.commit()  # a transaction per batch
            total += done
    typer.echo(f"sealed {total} audit rows")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit trail's hash chain from its start; exit 1 at the first seal that does
    not verify (a row changed or removed, a seal missing or out of order)."""
    from csoapi.core.audit_chain import verify

    with cli_session() as (session, _):
        verdict = verify(session)
    if not verdict.ok:
        _fail(f"audit chain broken at seal {verdict.broken_at}: {verdict.reason}")
    typer.echo(f"audit chain verifies: {verdict.sealed} rows sealed, {verdict.unsealed} not yet")


@audit_app.command("purge")
def audit_purge(
    keep_days: Annotated[
        int | None,
        typer.Option(help="Keep rows this many days (never fewer than the policy's floor)"),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Rows per transaction")] = 5000,
    dry_run: Annotated[bool, typer.Option(help="Count what would go; remove nothing")] = False,
) -> None:
    """Remove the audit trail's oldest rows once they are past retention (at least 365 days,
    core/audit_retention.json), keeping the hash chain verifiable. Run it as the tables' owner."""
    from csoapi.core.audit_retention import POLICY, RetentionTooShort, cutoff, eligible, purge
    from csoapi.core.models import utcnow

    days = POLICY.minimum_days if keep_days is None else keep_days
    now = utcnow()
    try:
        before = cutoff(days, now)
    except RetentionTooShort as exc:
        _fail(str(exc))
    total = 0
    with cli_session() as (session, ctx):
        if dry_run:
            typer.echo(
                f"would remove {eligible(session, before)} audit rows before {before:%Y-%m-%d}"
            )
            return
        while done := purge(session, ctx, keep_days=days, now=now, batch=batch):
            session.commit()  # a transaction per batch, each recorded in the chain
            total += done.rows
    typer.echo(f"removed {total} audit rows older than {days} days (before {before:%Y-%m-%d})")


@app.command("verify-custody")
def verify_custody(
    file: Annotated[Path, typer.Argument(help="A custody report (GET …/custody/report)")],
    public_key: Annotated[
        str | None, typer.Option(help="The agency's published key (base64), from a trusted source")
    ] = None,
    kept_head: Annotated[
        Path | None, typer.Option(help="A signed head kept from earlier (JSON)")
    ] = None,
) -> None:
    """Check an exported chain of custody without the database: every hash and link, each
    event's inclusion proof against the signed head, and the head's signature."""
    from csoapi.evidence.verifier import verify_report

    try:
        report = json.loads(file.read_text())
        kept = json.loads(kept_head.read_text()) if kept_head else None
    except (OSError, ValueError) as exc:
        _fail(f"cannot read: {exc}")
    good, lines = verify_report(report, public_key=public_key, kept_head=kept)
    for line in lines:
        typer.echo(line)
    typer.echo("VALID" if good else "NOT VALID")
    raise typer.Exit(code=0 if good else 1)


@app.command("seed-demo")
def seed_demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only when the database has no users yet")
    ] = False,
) -> None:
    """Seed the demo agency (users, clients, calls, citations, payments, reports, city
    samples); print its logins and write them to csoapi-demo.env beside the database."""
    from csoapi.demo import AlreadySeeded, seed_agency

    try:
        lines = seed_agency(_settings(), cli_session, only_if_empty=if_empty)
    except AlreadySeeded as exc:
        _fail(f"{exc} The demo agency is for an empty database.")
        return
    for line in lines:
        typer.echo(line)


@app.command("export-openapi")
def export_openapi(
    output: Annotated[Path, typer.Option(help="Where to write the contract")] = Path(
        "openapi/openapi.json"
    ),
) -> None:
    """Write the OpenAPI contract the app serves (the committed openapi/openapi.json)."""
    from csoapi.openapi import render

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render())
    typer.echo(f"wrote {output}")


@app.command("export-problems")
def export_problems() -> None:
    """Write the registry of problem codes read off the source (csoapi/problem_codes.json),
    which the pages at /problems/{code} serve."""
    from csoapi.problem_catalogue import REGISTRY, render

    REGISTRY.write_text(render())
    typer.echo(f"wrote {REGISTRY}")
