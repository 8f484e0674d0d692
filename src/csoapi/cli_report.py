"""What the ``csoapi import`` commands share: their options for rejects, and the report they
print (summary, first rejections, the rejects file, exit status 2 past the reject rate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from csoapi.core.imports import ImportReport, write_rejects

MaxRejectRate = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Exit with status 2 when more than this share of the rows is rejected",
    ),
]
Rejects = Annotated[
    Path | None,
    typer.Option(help="Write the rejected rows here as they were, plus _line and _reason"),
]


def print_report(
    report: ImportReport, source: Path, rejects: Path | None, max_reject_rate: float
) -> None:
    """The summary on stdout; the first rejections on stderr; the rejects file; and exit
    status 2 when the import rejected more than ``max_reject_rate`` of its rows."""
    summary = report.summary()
    typer.echo(json.dumps(summary, indent=2))
    for line, ident, reason in report.rejected[:20]:
        typer.echo(f"  rejected line {line} ({ident or 'no id'}): {reason}", err=True)
    if report.rejected_count > 20:
        typer.echo(f"  … and {report.rejected_count - 20} more", err=True)
    if rejects is not None:
        written = write_rejects(source, report, rejects)
        typer.echo(f"{written} rejected rows written to {rejects}", err=True)
    failure = report.failed(max_reject_rate)
    if failure:
        typer.echo(f"error: import failed: {failure}", err=True)
        raise typer.Exit(code=2)
