"""The ``csoapi`` command: serve, migrate, users, clients, seed-demo, export-openapi."""

from __future__ import annotations

import json
import secrets
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlmodel import Session

from csoapi.core.config import Settings, get_settings
from csoapi.core.context import RequestContext
from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.errors import DomainError
from csoapi.core.scopes import ClientKind, Role

app = typer.Typer(help="csoapi: the Community Service Officer operations API", no_args_is_help=True)
users_app = typer.Typer(help="Manage users", no_args_is_help=True)
clients_app = typer.Typer(help="Manage machine clients", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(clients_app, name="clients")
import_app = typer.Typer(help="Import data from CSV exports", no_args_is_help=True)
app.add_typer(import_app, name="import")


@contextmanager
def cli_session() -> Iterator[tuple[Session, RequestContext]]:
    """One transaction for one CLI action, with an audit context that says 'cli'."""
    import csoapi.registry  # noqa: F401

    settings = get_settings()
    engine = make_engine(settings.database_url, settings)
    ctx = RequestContext(
        principal=None, request_id=f"cli-{uuid.uuid4().hex}", source_ip=None, settings=settings
    )
    try:
        with make_session_factory(engine)() as session:
            try:
                yield session, ctx
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        engine.dispose()


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    settings = get_settings()
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
) -> None:
    """Bring the database schema to the newest migration (or REVISION)."""
    from csoapi.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database migrated to {revision}")


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
    kind: Annotated[ClientKind, typer.Option(help="cad or payment_portal")],
) -> None:
    """Register a machine client; prints JSON with client_id and client_secret (shown once)."""
    from csoapi.clients.schemas import ClientCreate
    from csoapi.clients.service import ClientService

    try:
        data = ClientCreate(name=name, kind=kind)
    except ValidationError as exc:
        _fail(str(exc.errors()[0]["msg"]))
        return
    with cli_session() as (session, ctx):
        created = ClientService(session, ctx).create(data)
    typer.echo(created.model_dump_json(indent=2))


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    batch: Annotated[int, typer.Option(min=1, max=500, help="Deliveries per claim")] = 10,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests of a batch in flight at once")
    ] = 4,
    idle: Annotated[float, typer.Option(min=0.05, help="Seconds to wait when idle")] = 1.0,
) -> None:
    """Deliver webhooks: fan the event log out to endpoints and send due deliveries; with
    CSOAPI_OPEN311_ENDPOINT set, forward defect reports to 311 and poll their status. Run
    several on PostgreSQL (they share the work); one on SQLite."""
    import signal
    import threading

    import csoapi.registry  # noqa: F401
    from csoapi.core.db import make_session_factory
    from csoapi.defects.forwarder import Forwarder
    from csoapi.webhooks.worker import Worker

    settings = get_settings()
    engine = make_engine(settings.database_url, settings)
    stop = threading.Event()
    try:
        sessions = make_session_factory(engine)
        runner = Worker(sessions, settings, batch=batch, concurrency=concurrency)
        # Defect reports go to 311 from the same process when an endpoint is set.
        also = [Forwarder(sessions, settings).run_once] if settings.open311_endpoint else []
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


@app.command("seed-demo")
def seed_demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only when the database has no users yet")
    ] = False,
) -> None:
    """Create demo users and clients (and demo case data) and print their logins once."""
    from csoapi.demo import seed

    with cli_session() as (session, ctx):
        logins = seed(session, ctx, only_if_empty=if_empty)
    if logins is None:
        typer.echo("demo data: database already has users; nothing seeded")
        return
    typer.echo("demo data seeded. These logins are shown once; keep them:")
    for line in logins:
        typer.echo(f"  {line}")


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


def _print_report(report, rejects: Path | None) -> None:  # type: ignore[no-untyped-def]
    summary = report.summary()
    typer.echo(json.dumps(summary, indent=2))
    for line, ident, reason in report.rejected[:20]:
        typer.echo(f"  rejected line {line} ({ident or 'no id'}): {reason}", err=True)
    if report.rejected_count > 20:
        typer.echo(f"  … and {report.rejected_count - 20} more", err=True)
    if rejects is not None:
        import csv

        with rejects.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["line", "id", "reason"])
            writer.writerows(report.rejected)
        typer.echo(f"rejected rows written to {rejects}", err=True)


@import_app.command("calls")
def import_calls_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CAD export (CSV)")],
    mapping: Annotated[
        str, typer.Option(help="Mapping name (san_diego) or a .json file")
    ] = "san_diego",
    rejects: Annotated[Path | None, typer.Option(help="Write rejected rows here (CSV)")] = None,
) -> None:
    """Import calls for service; safe to re-run (rows already present are skipped)."""
    import csoapi.registry  # noqa: F401
    from csoapi.calls.importer import import_calls, load_mapping
    from csoapi.core.imports import MappingError, count_rows

    settings = get_settings()
    try:
        spec = load_mapping(mapping)
        total = count_rows(file)
    except MappingError as exc:
        _fail(str(exc))
        return
    engine = make_engine(settings.database_url, settings)
    try:
        with typer.progressbar(length=total, label="calls", file=sys.stderr) as bar:
            report = import_calls(
                make_session_factory(engine), settings, file, spec, on_progress=bar.update
            )
    finally:
        engine.dispose()
    _print_report(report, rejects)


@import_app.command("call-types")
def import_call_types_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Call-type table (CSV)")
    ],
    mapping: Annotated[
        str, typer.Option(help="Mapping name (san_diego) or a .json file")
    ] = "san_diego",
) -> None:
    """Add the agency's call types with their APCO common types; existing codes are kept."""
    import csoapi.registry  # noqa: F401
    from csoapi.calls.importer import import_call_types, load_mapping
    from csoapi.core.imports import MappingError

    settings = get_settings()
    engine = make_engine(settings.database_url, settings)
    try:
        report = import_call_types(make_session_factory(engine), file, load_mapping(mapping))
    except MappingError as exc:
        _fail(str(exc))
        return
    finally:
        engine.dispose()
    _print_report(report, None)


@import_app.command("violations")
def import_violations_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Schedule (CSV)")],
    effective_from: Annotated[str, typer.Option(help="Date the versions take effect (YYYY-MM-DD)")],
    fine_column: Annotated[int, typer.Option(help="0-based column of the fine, in dollars")] = 2,
    code_column: Annotated[int, typer.Option(help="0-based column of the code")] = 0,
    description_column: Annotated[int, typer.Option(help="0-based column of the wording")] = 1,
) -> None:
    """Import a violation schedule (e.g. NYC's code table: --fine-column 2 for Manhattan
    96th St. & below, 3 for all other areas). Re-runs add nothing."""
    from datetime import date

    from csoapi.violations.service import import_schedule

    try:
        effective = date.fromisoformat(effective_from)
    except ValueError:
        _fail("--effective-from must be a date, YYYY-MM-DD")
        return
    with cli_session() as (session, ctx):
        report = import_schedule(
            session,
            ctx,
            file,
            code_column=code_column,
            description_column=description_column,
            fine_column=fine_column,
            effective_from=effective,
        )
    typer.echo(
        json.dumps(
            {
                "rows": report.rows,
                "stored": report.stored,
                "already_present": report.already_present,
                "rejected": len(report.rejected),
            },
            indent=2,
        )
    )
    for line, code, reason in report.rejected:
        typer.echo(f"  rejected line {line} ({code or 'no code'}): {reason}", err=True)


@import_app.command("citations")
def import_citations_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Citations (CSV)")],
    mapping: Annotated[str, typer.Option(help="Mapping name (la) or a .json file")] = "la",
    placeholder_plates: Annotated[
        bool,
        typer.Option(
            "--placeholder-plates",
            help="Demo/benchmark data only: derive a fixed made-up plate from the ticket "
            "number where the file has none (otherwise such rows are rejected)",
        ),
    ] = False,
    rejects: Annotated[Path | None, typer.Option(help="Write rejected rows here (CSV)")] = None,
) -> None:
    """Import citations; safe to re-run (tickets already present are skipped)."""
    import csoapi.registry  # noqa: F401
    from csoapi.citations.importer import citation_mapping, import_citations
    from csoapi.core.imports import MappingError, count_rows

    settings = get_settings()
    try:
        spec = citation_mapping(mapping)
        total = count_rows(file)
    except MappingError as exc:
        _fail(str(exc))
        return
    engine = make_engine(settings.database_url, settings)
    try:
        with typer.progressbar(length=total, label="citations", file=sys.stderr) as bar:
            report = import_citations(
                make_session_factory(engine),
                settings,
                file,
                spec,
                placeholder_plates=placeholder_plates,
                on_progress=bar.update,
            )
    finally:
        engine.dispose()
    _print_report(report, rejects)
