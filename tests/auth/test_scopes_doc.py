"""docs/scopes.md, the per-role scopes page the README points to, is the role table of
``core/scopes.py`` (issue 22: no published page showed which scopes each role gets)."""

from __future__ import annotations

from pathlib import Path

from csoapi.core.scopes import ROLE_SCOPES, SCOPE_DESCRIPTIONS, markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "scopes.md"


def test_the_page_is_the_table():
    assert DOC.read_text() == markdown(), "docs/scopes.md is stale: run make openapi"


def test_every_scope_of_every_role_is_ticked_and_nothing_else():
    lines = {
        ln.split("|")[1].strip(" `"): ln for ln in markdown().splitlines() if ln.startswith("| `")
    }
    who = list(ROLE_SCOPES)
    assert set(lines) == set(SCOPE_DESCRIPTIONS)
    for scope, line in lines.items():
        cells = [c.strip() for c in line.strip("|").split("|")][2:]
        assert [w for w, c in zip(who, cells, strict=True) if c == "✓"] == [
            w for w in who if scope in ROLE_SCOPES[w]
        ], scope
    assert "- `payment_portal` (client kind): `citations:lookup` `events:read`" in markdown()
