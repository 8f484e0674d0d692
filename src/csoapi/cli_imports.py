"""``csoapi import …``: the agency's exports into the database, each import safe to re-run,
each rejected row reported (``csoapi.cli_report``)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from csoapi.cli_common import _fail, _settings, cli_session
from csoapi.cli_report import MaxRejectRate, Rejects, print_report
from csoapi.core.db import make_engine, make_session_factory
from csoapi.core.imports import DEFAULT_MAX_REJECT_RATE

import_app = typer.Typer(help="Import data from CSV exports", no_args_is_help=True)


def _import_csv(
    label: str,
    file: Path,
    load: Callable[[], Any],
    run: Callable[..., Any],
    rejects: Path | None,
    max_reject_rate: float,
) -> None:
    """The CSV imports' one pipeline: the mapping (``load``) and the row count checked before
    any row is read, ``run(factory, settings, file, spec, on_progress=…)`` under a progress
    bar on a fresh engine, then the report; a mapping fault is one line and exit 1."""
    import csoapi.registry  # noqa: F401
    from csoapi.core.imports import MappingError, count_rows

    settings = _settings()
    try:
        spec = load()
        total = count_rows(file)
    except MappingError as exc:
        _fail(str(exc))
        return
    engine = make_engine(settings.database_url, settings)
    try:
        with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
            report = run(make_session_factory(engine), settings, file, spec, on_progress=bar.update)
    except MappingError as exc:
        _fail(str(exc))
        return
    finally:
        engine.dispose()
    print_report(report, file, rejects, max_reject_rate)


@import_app.command("calls")
def import_calls_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CAD export (CSV)")],
    mapping: Annotated[
        str, typer.Option(help="Mapping name (san_diego) or a .json file")
    ] = "san_diego",
    rejects: Rejects = None,
    max_reject_rate: MaxRejectRate = DEFAULT_MAX_REJECT_RATE,
) -> None:
    """Import calls for service; safe to re-run (rows already present are skipped). Calls
    land closed with their own outcome; rows without one are rejected."""
    from csoapi.calls.importer import import_calls, load_mapping

    _import_csv(
        "calls", file, lambda: load_mapping(mapping), import_calls, rejects, max_reject_rate
    )


@import_app.command("call-types")
def import_call_types_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Call-type table (CSV)")
    ],
    mapping: Annotated[
        str, typer.Option(help="Mapping name (san_diego) or a .json file")
    ] = "san_diego",
    rejects: Rejects = None,
    max_reject_rate: MaxRejectRate = DEFAULT_MAX_REJECT_RATE,
) -> None:
    """Add the agency's call types with their APCO common types; existing codes are kept."""
    import csoapi.registry  # noqa: F401
    from csoapi.calls.importer import import_call_types, load_mapping
    from csoapi.core.imports import MappingError

    settings = _settings()
    engine = make_engine(settings.database_url, settings)
    try:
        report = import_call_types(make_session_factory(engine), file, load_mapping(mapping))
    except MappingError as exc:
        _fail(str(exc))
        return
    finally:
        engine.dispose()
    print_report(report, file, rejects, max_reject_rate)


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
    rejects: Rejects = None,
    max_reject_rate: MaxRejectRate = DEFAULT_MAX_REJECT_RATE,
) -> None:
    """Import citations; safe to re-run (tickets already present are skipped)."""
    from csoapi.citations.importer import citation_mapping, import_citations

    def run(factory: Any, settings: Any, path: Path, spec: Any, **kw: Any) -> Any:
        return import_citations(
            factory, settings, path, spec, placeholder_plates=placeholder_plates, **kw
        )

    _import_csv("citations", file, lambda: citation_mapping(mapping), run, rejects, max_reject_rate)


@import_app.command("services")
def import_services_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="HSDS 3.0 JSON, or the Tabular Data Package (folder or datapackage.json)",
        ),
    ],
    max_reject_rate: MaxRejectRate = DEFAULT_MAX_REJECT_RATE,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write each rejected record's place, id and reason here (CSV)"),
    ] = None,
) -> None:
    """Import the service directory from Open Referral HSDS 3.0; safe to re-run (a service
    already stored with the same last_modified is left alone, a later one updates it). Each
    rejected record is listed; values HSDS allows that cannot be true are warnings."""
    from csoapi.directory.importer import import_services

    try:
        with cli_session() as (session, ctx):
            report = import_services(session, ctx, file)
    except (ValueError, OSError) as exc:
        _fail(f"cannot read {file}: {exc}")
        return
    for where, ident, text in report.warnings[:20]:
        typer.echo(f"  warning {where} ({ident}): {text}", err=True)
    if rejects is not None:
        # Records of a JSON document or a data package, not lines of one CSV: their place,
        # id and reason (the records themselves are in the file given).
        with rejects.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["record", "id", "reason"])
            writer.writerows(report.rejected)
    print_report(report, file, None, max_reject_rate)


@import_app.command("impounds")
def import_impounds_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tows (CSV)")],
    mapping: Annotated[
        str, typer.Option(help="Mapping name (chicago) or a .json file")
    ] = "chicago",
    rejects: Rejects = None,
    max_reject_rate: MaxRejectRate = DEFAULT_MAX_REJECT_RATE,
) -> None:
    """Import impound history as closed records; safe to re-run (inventory numbers already
    present are skipped)."""
    from csoapi.impounds.importer import import_impounds, impound_mapping

    _import_csv(
        "impounds",
        file,
        lambda: impound_mapping(mapping),
        import_impounds,
        rejects,
        max_reject_rate,
    )
