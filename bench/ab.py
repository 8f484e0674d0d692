"""Same-run A/B: serve the API from another commit against the same loaded database.

``python -m bench --against fe919e6`` checks that commit out in a temporary git worktree and
serves it with this tree's Python environment, its ``src`` first on ``PYTHONPATH`` so that its
``csoapi`` is imported instead of the installed one (checked, not assumed: ``imported_from``
before the server starts, ``compiled_in`` after). Each API scenario then runs on both servers
in turns (``harness.alternated``), so that the machine's drift falls on both alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from bench.harness import ROOT, Server

Leg = tuple[Server, str, dict[str, str]]


class Worktree:
    """``git worktree add --detach`` of ``commit`` in a temporary folder, removed on exit."""

    def __init__(self, commit: str):
        self.commit = commit
        self.path = Path(tempfile.mkdtemp(prefix="csoapi-ab-")) / "tree"
        self.sha = ""

    def __enter__(self) -> Worktree:
        _git("worktree", "add", "--detach", str(self.path), self.commit)
        self.sha = _git("rev-parse", "--short", "HEAD", cwd=self.path)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _git("worktree", "remove", "--force", str(self.path))
        self.path.parent.rmdir()

    @property
    def src(self) -> Path:
        return self.path / "src"

    def env(self) -> dict[str, str]:
        """What a server of this tree needs on top of the harness's environment: its ``src``
        ahead of the editable install (``.pth`` entries come after ``PYTHONPATH``), and the
        bench package for the references; and bytecode written into the tree (an empty
        variable is an unset one), the evidence ``compiled_in`` looks for."""
        return {
            "PYTHONPATH": os.pathsep.join([str(self.src), str(ROOT)]),
            "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPYCACHEPREFIX": "",
        }


def imported_from(env: dict[str, str]) -> Path:
    """The file ``csoapi.cli`` is imported from by this Python under ``env``."""
    out = subprocess.run(
        [sys.executable, "-c", "import csoapi.cli; print(csoapi.cli.__file__)"],
        env={**os.environ, **env, "PYTHONDONTWRITEBYTECODE": "1"},  # leaves no .pyc behind
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip()).resolve()


def compiled_in(src: Path) -> list[str]:
    """Modules of ``src/csoapi`` Python has compiled: a fresh worktree has none until a
    process imports them (``imported_from`` writes none), so after the server starts they
    are the proof that it runs this tree."""
    return sorted(
        p.name.split(".")[0] for p in (src / "csoapi").rglob("__pycache__/*.pyc") if p.is_file()
    )


def check_runs(tree: Worktree, server_started: bool) -> str:
    """Fail loudly unless the old tree's code is what the server imports; the evidence."""
    where = imported_from(tree.env())
    if not where.is_relative_to(tree.src.resolve()):
        raise RuntimeError(f"--against {tree.commit}: csoapi imports from {where}, not the tree")
    if not server_started:
        return str(where)
    compiled = compiled_in(tree.src)
    if "main" not in compiled:
        raise RuntimeError(f"--against {tree.commit}: the server compiled no app module there")
    return f"{where} ({len(compiled)} modules compiled in the tree)"


def paired(
    new: Server, old: Server | None, scenarios: list[tuple[str, dict[str, str], dict[str, str]]]
) -> list[Leg]:
    """The legs of one comparison: each (scenario, env for new, env for old) on the new
    server, then on the old one when there is one, so the rounds interleave them."""
    legs: list[Leg] = []
    for scenario, env_new, env_old in scenarios:
        legs.append((new, scenario, env_new))
        if old is not None:
            legs.append((old, scenario, env_old))
    return legs


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()
