"""The registry of problem codes: every ``code`` a problem+json body of this API can carry,
with its HTTP status(es), its title and the details the code says with it.

The codes are written where the errors are raised (``core.errors`` and its subclasses, a
repository's ``missing``, ``core.problems.problem_response``), so the registry is read off the
source (``scan``) and committed as ``problem_codes.json`` beside this module, which the
pages at ``/problems/{code}`` serve (``load``). ``csoapi export-openapi`` writes both files;
``tests/platform/test_problem_pages.py`` fails when the committed registry drifts from the
source, and when a code is computed in a way ``scan`` cannot read and ``COMPUTED`` does not
list.
"""

from __future__ import annotations

import ast
import json
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
REGISTRY = PACKAGE / "problem_codes.json"
EXAMPLES = 3

# Codes computed at the raise site, by module and expression (``ast.unparse``): what the
# expression can be. Each is checked by a test (test_problem_pages.py) against its source.
COMPUTED: dict[tuple[str, str], list[str]] = {
    # citations.payments.SETTLED
    ("citations/payments.py", "f'citation_{c.state}'"): [
        "citation_paid",
        "citation_void",
        "citation_dismissed",
    ],
    # codes.tables: the labels of the three code tables
    ("codes/service.py", "f\"unknown_{table.label.replace(' ', '_')}\""): [
        "unknown_call_type",
        "unknown_disposition",
        "unknown_offense",
    ],
    ("core/clock.py", "_CODES[why]"): ["time_in_future", "time_too_early"],
    ("referrals/service.py", "self.repo.missing[1]"): ["referral_not_found"],
    # impounds.release._refuse(code, ...): its two callers
    ("impounds/release.py", "code"): ["release_refused", "disposal_refused"],
    # webhooks.service.check_target: TargetRefused's code (CARRIED reads them)
    ("webhooks/service.py", "refused.code"): [],
    # Repository.get's 404: the repositories' own ``missing``, which ``_missing`` reads.
    ("core/repository.py", "code"): [],
}
# Exceptions that carry ``(detail, code)`` to a raise of an error class: what they become.
CARRIED = {"TargetRefused": (422, "Unprocessable request")}
# Codes the framework's own errors become (core.problems: _HTTP_CODES and its fallback).
FRAMEWORK = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class Unreadable(Exception):
    """A code computed in a way the scan cannot read and ``COMPUTED`` does not list."""


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _text(node: ast.AST | None) -> str | None:
    """A literal string, or an f-string with its holes shown as ``…``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values).strip()
    return None


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _error_classes(trees: dict[str, ast.Module]) -> dict[str, tuple[int, str, str]]:
    """Every subclass of ``DomainError`` by name: (status, default code, title)."""
    classes = {"DomainError": (400, "bad_request", "Bad request")}
    defs = [n for t in trees.values() for n in ast.walk(t) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in defs:
            bases = [_name(b) for b in node.bases]
            parent = next((classes[b] for b in bases if b in classes), None)
            if node.name in classes or parent is None:
                continue
            status, code, title = parent
            for stmt in node.body:
                if isinstance(stmt, ast.Assign | ast.AnnAssign):
                    status, code, title = _class_fields(stmt, status, code, title)
            classes[node.name] = (status, code, title)
            grew = True
    return classes


def _class_fields(
    stmt: ast.Assign | ast.AnnAssign, status: int, code: str, title: str
) -> tuple[int, str, str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for target in targets:
        names = [e for e in target.elts] if isinstance(target, ast.Tuple) else [target]
        values = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
        for name, value in zip(names, values, strict=False):
            if not isinstance(name, ast.Name) or not isinstance(value, ast.Constant):
                continue
            if name.id == "status":
                status = int(value.value)
            elif name.id == "code":
                code = str(value.value)
            elif name.id == "title":
                title = str(value.value)
    return status, code, title


class _Found:
    def __init__(self) -> None:
        self.codes: dict[str, dict[str, Any]] = {}

    def add(self, code: str, status: int, title: str, detail: str | None = None) -> None:
        entry = self.codes.setdefault(code, {"statuses": set(), "title": title, "details": []})
        entry["statuses"].add(status)
        if detail and detail not in entry["details"] and len(entry["details"]) < EXAMPLES:
            entry["details"].append(detail)


def scan() -> dict[str, dict[str, Any]]:
    """Read every problem code off the package's source."""
    trees = {str(p.relative_to(PACKAGE)): ast.parse(p.read_text(), str(p)) for p in _sources()}
    classes = _error_classes(trees)
    found = _Found()
    for status, code, title in classes.values():
        found.add(code, status, title)
    for status, code in FRAMEWORK.items():
        found.add(code, status, HTTPStatus(status).phrase)
    found.add("http_error", 400, "HTTP error")  # any other status the framework raises
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                _call(module, node, classes, found)
            elif isinstance(node, ast.Assign):
                _missing(node, found)
    return {
        code: {
            "statuses": sorted(entry["statuses"]),
            "title": entry["title"],
            "details": entry["details"],
        }
        for code, entry in sorted(found.codes.items())
    }


def _call(
    module: str, node: ast.Call, classes: dict[str, tuple[int, str, str]], found: _Found
) -> None:
    name = _name(node.func)
    if name == "problem_response" and len(node.args) >= 4:
        status, code = node.args[1], node.args[2]
        if isinstance(status, ast.Constant) and isinstance(code, ast.Constant):
            title = (
                next((_text(k.value) for k in node.keywords if k.arg == "title"), None)
                or HTTPStatus(int(status.value)).phrase
            )
            found.add(str(code.value), int(status.value), title, _text(node.args[3]))
        return
    if name in CARRIED and len(node.args) == 2:
        code = _text(node.args[1])
        if code is None:
            raise Unreadable(f"{module}:{node.lineno}: {name} code {ast.unparse(node.args[1])}")
        found.add(code, *CARRIED[name], _text(node.args[0]))
        return
    if name not in classes:
        return
    status, default, title = classes[name]
    detail = _text(node.args[0]) if node.args else None
    code_node = next((k.value for k in node.keywords if k.arg == "code"), None)
    if code_node is None:
        found.add(default, status, title, detail)
        return
    literal = _text(code_node) if isinstance(code_node, ast.Constant) else None
    computed = COMPUTED.get((module, ast.unparse(code_node)))
    if literal is None and computed is None:
        raise Unreadable(f"{module}:{node.lineno}: code={ast.unparse(code_node)}")
    for code in [literal] if literal else computed or []:
        found.add(code, status, title, detail)


def _missing(node: ast.Assign, found: _Found) -> None:
    """A repository's ``missing = ("No such …", "…_not_found")``: its get-or-404."""
    names = [t.id for t in node.targets if isinstance(t, ast.Name)]
    value = node.value
    if names != ["missing"] or not isinstance(value, ast.Tuple) or len(value.elts) != 2:
        return
    detail, code = (_text(e) for e in value.elts)
    if detail and code:
        found.add(code, 404, "Not found", detail)


def render() -> str:
    return json.dumps(scan(), indent=2, ensure_ascii=False) + "\n"


@cache
def load() -> dict[str, dict[str, Any]]:
    """The committed registry (what the pages serve)."""
    data: dict[str, dict[str, Any]] = json.loads(REGISTRY.read_text())
    return data
