"""Trimmed real city open-data samples shipped with the package (credited in README.md):
the demo agency's data and the packaging test's imports."""

from __future__ import annotations

from pathlib import Path

DIR = Path(__file__).resolve().parent


def sample(name: str) -> Path:
    """The shipped file ``name`` (e.g. ``san_diego_calltypes.csv``)."""
    path = DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no sample '{name}' in {DIR}")
    return path
