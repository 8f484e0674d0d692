"""The house rules ARCHITECTURE.md states, checked: small modules, short functions, and one
road (no route reaches for a session or commits)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "csoapi"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Row pipelines read top to bottom as one piece (map, check, batch, write).
PIPELINES = {"calls/importer.py", "citations/importer.py"}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_module_over_the_limit():
    big = {
        str(p.relative_to(SRC)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}


def test_no_function_over_the_limit():
    long = {}
    for path in _modules():
        name = str(path.relative_to(SRC))
        if name in PIPELINES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{name}:{node.name}"] = length
    assert long == {}


def test_routers_neither_hold_sessions_nor_commit():
    for path in SRC.rglob("*router.py"):
        text = path.read_text()
        for word in ("session.", "commit(", "Session", "run_unit"):
            assert word not in text, (path.relative_to(SRC), word)
