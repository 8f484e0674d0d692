"""RESULTS.md and results.png from one run's figures, with each target's verdict."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path
from typing import Any

from bench import soak_report


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
        bare = _find(res, "lookup", "bare", w)
        small = _find(res, "lookup (10k rows)", "csoapi", w)
        big = _find(res, "lookup (all rows)", "csoapi", w)  # driven in turns with the 10k one
        same = _find(res, "lookup", "samework", w)
        if ours and same:
            x = ours["rps"] / same["rps"]
            out.append((f"lookup ≥ 0.5× asyncpg doing the same work ({w}w)", f"{x:.2f}×", x >= 0.5))
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
    out += ab_verdicts(data)
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
    doing the same work on asyncpg (``refs.same_work``, the target's figures in full), and
    against the minimal unauthenticated asyncpg endpoint, whose "≥ 1.5×" target issue 17
    retired: a lookup that checks a session, counts a rate budget and writes an audit row
    cannot beat one that does none of that."""
    res = data["results"]
    out = []
    for w in sorted({r["workers"] for r in res}):
        ours = _find(res, "lookup", "csoapi", w)
        for server, what in (("samework", "asyncpg doing the same work"),
                             ("asyncpg", "minimal asyncpg (retired target ≥ 1.5×)")):  # fmt: skip
            ref = _find(res, "lookup", server, w)
            if ours and ref:
                out.append(
                    (
                        f"lookup vs {what} ({w}w)",
                        f"{ours['rps'] / ref['rps']:.2f}× ({ours['rps']:,.0f} vs "
                        f"{ref['rps']:,.0f} req/s, errors {ref['errors']})",
                    )
                )
    return out


# The scenarios that must not get slower than the old code (issue 17), and those whose routes
# moved onto the one road with it (measured before and after, no target).
HOT = ("lookup", "issue citation", "create call (CAD)", "calls list page ")
MOVED = ("payment (portal)", "call note (CAD)", "citation by id")
NOISE_FLOOR = 0.05


def ab_pairs(data: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(old, new) results of each scenario run on both servers, in the run's order."""
    commit = (data.get("against") or {}).get("commit")
    if not commit:
        return []
    res = data["results"]
    out = []
    for old in res:
        if old["server"] == commit:
            new = _find(res, old["scenario"], "csoapi", old["workers"])
            if new:
                out.append((old, new))
    return out


def noise(old: dict[str, Any], new: dict[str, Any]) -> float:
    """The band within which two servers' req/s are the same: the widest spread between one
    server's own rounds (max − min over the median), never under 5%."""
    spreads = [NOISE_FLOOR]
    for r in (old, new):
        rounds = r.get("rounds_rps") or []
        if len(rounds) > 1:
            spreads.append((max(rounds) - min(rounds)) / statistics.median(rounds))
    return max(spreads)


def ab_verdicts(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    commit = (data.get("against") or {}).get("commit", "")
    out = []
    for old, new in ab_pairs(data):
        if not old["scenario"].startswith(HOT):
            continue
        x, band = new["rps"] / old["rps"], noise(old, new)
        out.append(
            (
                f"{old['scenario']} not slower than {commit} ({old['workers']}w)",
                f"{x:.2f}× ({new['rps']:,.0f} vs {old['rps']:,.0f} req/s; noise ±{band:.0%})",
                x >= 1 - band,
            )
        )
    return out


def ab_table(data: dict[str, Any]) -> list[str]:
    pairs = ab_pairs(data)
    if not pairs:
        return []
    a = data["against"]
    lines = [
        "",
        f"## A/B: this commit against `{a['commit']}`",
        "",
        f"The API served from `{a['commit']}` (a git worktree, same Python environment, same "
        "settings, same database) and from this commit, each scenario on both in turns: "
        "3 rounds each, alternating. Routes marked *moved* took the one road with issue 17. "
        f"The old tree's code ran from `{a.get('runs', a.get('imports', '?'))}`.",
        "",
        f"| scenario | workers | conns | {a['commit']} req/s | new req/s | new/old | noise "
        f"| {a['commit']} p50 | new p50 | {a['commit']} p99 | new p99 | errors old/new |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for old, new in pairs:
        mark = " (*moved*)" if old["scenario"] in MOVED else ""
        lines.append(
            f"| {old['scenario']}{mark} | {old['workers']} | {old['connections']} | "
            f"{old['rps']:,.1f} | {new['rps']:,.1f} | {new['rps'] / old['rps']:.2f}× | "
            f"±{noise(old, new):.0%} | {old['p50_ms']} | {new['p50_ms']} | {old['p99_ms']} | "
            f"{new['p99_ms']} | {old['errors']}/{new['errors']} |"
        )
    return lines


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
        "3 rounds of a third of that time each, p50/p99 the median of the rounds"
        + (
            f"; so do the two servers of the A/B against `{data['against']['commit']}`."
            if data.get("against")
            else "."
        ),  # fmt: skip
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
            "rate count in one statement; `bench/refs.py`, `same_work`), and against the minimal",
            'unauthenticated asyncpg endpoint (`minimal`), whose "≥ 1.5×" target issue 17',
            "retired: a lookup that must check a session, count a rate budget and write an audit",
            "row cannot beat one that does none of that.",
            "",
            "| comparison | measured |",
            "|---|---|",
        ]
        lines += [f"| {t} | {m} |" for t, m in notes]
    lines += ab_table(data)
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
    path = folder / "RESULTS.md"
    path.write_text(keep_soak(path.read_text() if path.exists() else "", "\n".join(lines)))
    _chart(data, folder / "results.png")
    return [f"{'PASS' if ok else 'MISS'}  {t}: {m}" for t, m, ok in checks] + [
        f"INFO  {t}: {m}" for t, m in notes
    ]


def keep_soak(old: str, new: str) -> str:
    """``new`` with the ``## Soak`` section of ``old`` (make soak's, bench/soak_report.py)."""
    kept = soak_report.section(old, "Soak")
    return soak_report.put_section(new, "Soak", kept.split("\n")[2:]) if kept else new


def _chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = data["results"]
    labels = [f"{r['scenario']}\n{r['server']} {r['workers']}w" for r in res]
    palette = {"csoapi": "#1f6feb", "bare": "#8b949e", "asyncpg": "#d29922", "samework": "#2da44e"}
    colors = [palette.get(r["server"], "#8250df") for r in res]  # the --against commit: purple
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(10, len(res) * 0.8), 9), sharex=True)
    xs = range(len(res))
    top.bar(xs, [r["rps"] for r in res], color=colors)
    top.set_yscale("log")  # the references run an order of magnitude faster
    top.set_ylabel("requests/s (log scale)")
    top.set_title(
        "Throughput (csoapi blue, the A/B's old commit purple, bare ceiling grey, "
        "minimal asyncpg amber, asyncpg doing the same work green)"
    )
    bottom.bar(xs, [r["p99_ms"] for r in res], color=colors)
    bottom.axhline(50, color="#cf222e", linewidth=1, linestyle="--")
    bottom.set_ylabel("p99 latency, ms")
    bottom.set_xticks(list(xs), labels, rotation=60, ha="right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
