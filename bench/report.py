"""RESULTS.md and results.png from one run's figures, with each target's verdict."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kib = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def _find(results: list[dict[str, Any]], scenario: str, server: str, workers: int) -> dict | None:
    for r in results:
        if r["scenario"] == scenario and r["server"] == server and r["workers"] == workers:
            return r
    return None


def verdicts(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, what was measured, met?) for every target the issue sets."""
    res = data["results"]
    out: list[tuple[str, str, bool]] = []
    for w in sorted({r["workers"] for r in res}):
        ours = _find(res, "lookup", "csoapi", w)
        ref = _find(res, "lookup", "asyncpg", w)
        bare = _find(res, "lookup", "bare", w)
        small = _find(res, "lookup (10k rows)", "csoapi", w)
        big = _find(res, "lookup (all rows)", "csoapi", w)  # driven in turns with the 10k one
        if ours and ref:
            x = ours["rps"] / ref["rps"]
            out.append((f"lookup ≥ 1.5× asyncpg ({w}w)", f"{x:.2f}×", x >= 1.5))
        if ours and bare:
            x = ours["rps"] / bare["rps"]
            out.append((f"lookup ≥ 30% of bare ({w}w)", f"{x:.0%}", x >= 0.30))
        if ours:
            out.append((f"lookup p99 ≤ 50 ms ({w}w)", f"{ours['p99_ms']} ms", ours["p99_ms"] <= 50))
            out.append((f"lookup 0 errors ({w}w)", str(ours["errors"]), ours["errors"] == 0))
        if big and small:
            x = small["rps"] / big["rps"]
            out.append((f"lookup at 1M ≤ 1.3× cost at 10k ({w}w)", f"{x:.2f}×", x <= 1.3))
        issue = _find(res, "issue citation", "csoapi", w)
        if issue:
            ok = issue["rps"] >= 600 and issue["errors"] == 0 and "consecutive" in issue["note"]
            out.append(
                (f"issuance ≥ 600/s, no gaps ({w}w)", f"{issue['rps']:.0f}/s; {issue['note']}", ok)
            )
        first = _find(res, "calls list page 1", "csoapi", w)
        deep = next(
            (r for r in res if r["scenario"].startswith("calls list page ")
             and r["scenario"] != "calls list page 1" and r["workers"] == w),
            None,
        )  # fmt: skip
        if first and deep:
            x = first["rps"] / deep["rps"]
            out.append((f"{deep['scenario'][11:]} ≤ 1.2× page 1 ({w}w)", f"{x:.2f}×", x <= 1.2))
    rss = [m for r in res if r["server"] == "csoapi" for m in r["rss_mb"]]
    if rss:
        out.append(("RSS ≤ 200 MB per worker", f"max {max(rss):.0f} MB", max(rss) <= 200))
    imp = data.get("import")
    if imp:
        rate = imp["rows_per_second"]
        out.append(("import ≥ 10,000 calls/s", f"{rate:,.0f} rows/s", rate >= 10_000))
    return out


def context(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Figures that explain the targets without being one: the lookup against a reference
    doing the same work on asyncpg (``refs.same_work``)."""
    res = data["results"]
    out = []
    for w in sorted({r["workers"] for r in res}):
        ours = _find(res, "lookup", "csoapi", w)
        same = _find(res, "lookup", "samework", w)
        if ours and same:
            out.append(
                (
                    f"lookup vs asyncpg doing the same work ({w}w)",
                    f"{ours['rps'] / same['rps']:.2f}× ({ours['rps']:,.0f} vs "
                    f"{same['rps']:,.0f} req/s, errors {same['errors']})",
                )
            )
    return out


def write(data: dict[str, Any], folder: Path) -> list[str]:
    checks = verdicts(data)
    notes = context(data)
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand.",
        "",
        f"- Date: {data['started']}; commit `{data['commit']}`"
        + (" (**--quick run: reduced scale**)" if data.get("quick") else ""),
        f"- Machine: {data['machine']['cpu']}, {data['machine']['cores']} cores, "
        f"{data['machine']['memory_gib']} GiB; {data['machine']['os']}; "
        f"Python {data['machine']['python']}",
        f"- Data: {data['scale']['citations']:,} citations over {data['scale']['plates']:,} "
        f"plates, {data['scale']['calls']:,} calls (PostgreSQL, loaded by COPY); the 10k-row "
        "database has 10,000 citations over 3,000 plates.",
        f"- Each scenario: {data['warmup']} s warm-up, then {data['seconds']} s measured with "
        "wrk (2 threads) on the same machine as the server and PostgreSQL. The pairs compared "
        "with each other (lookup at 10k vs all rows; page 1 vs the deep page) take turns: "
        "3 rounds of a third of that time each, p50/p99 the median of the rounds.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in checks]
    if notes:
        lines += [
            "",
            "## Context (no target)",
            "",
            "The lookup against a hand-written asyncpg endpoint doing the work the contract asks",
            "of it (token, session check, rate budget, citations with payments, audit row and",
            "rate count in one statement; `bench/refs.py`, `same_work`).",
            "",
            "| comparison | measured |",
            "|---|---|",
        ]
        lines += [f"| {t} | {m} |" for t, m in notes]
    lines += [
        "",
        "## Scenarios",
        "",
        "| scenario | server | workers | conns | req/s | p50 ms | p99 ms | errors | RSS MB "
        "| note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in data["results"]:
        lines.append(
            f"| {r['scenario']} | {r['server']} | {r['workers']} | {r['connections']} | "
            f"{r['rps']:,.1f} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} | "
            f"{', '.join(str(m) for m in r['rss_mb'])} | {r['note']} |"
        )
    imp = data.get("import")
    if imp:
        lines += [
            "",
            "## Import",
            "",
            f"`csoapi import calls` of San Diego's file repeated to {imp['rows']:,} rows "
            f"(each copy's incident numbers suffixed): {imp['seconds']} s wall clock, "
            f"{imp['rows_per_second']:,.0f} rows/s, process start included.",
            "",
            "```",
            *imp["report"],
            "```",
        ]
    lines += ["", "![throughput and p99 per scenario](results.png)", ""]
    (folder / "RESULTS.md").write_text("\n".join(lines))
    _chart(data, folder / "results.png")
    return [f"{'PASS' if ok else 'MISS'}  {t}: {m}" for t, m, ok in checks] + [
        f"INFO  {t}: {m}" for t, m in notes
    ]


def _chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = data["results"]
    labels = [f"{r['scenario']}\n{r['server']} {r['workers']}w" for r in res]
    colors = [
        {"csoapi": "#1f6feb", "bare": "#8b949e", "asyncpg": "#d29922", "samework": "#2da44e"}[
            r["server"]
        ]
        for r in res
    ]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(10, len(res) * 0.8), 9), sharex=True)
    xs = range(len(res))
    top.bar(xs, [r["rps"] for r in res], color=colors)
    top.set_yscale("log")  # the references run an order of magnitude faster
    top.set_ylabel("requests/s (log scale)")
    top.set_title(
        "Throughput (csoapi blue, bare ceiling grey, minimal asyncpg amber, "
        "asyncpg doing the same work green)"
    )
    bottom.bar(xs, [r["p99_ms"] for r in res], color=colors)
    bottom.axhline(50, color="#cf222e", linewidth=1, linestyle="--")
    bottom.set_ylabel("p99 latency, ms")
    bottom.set_xticks(list(xs), labels, rotation=60, ha="right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
