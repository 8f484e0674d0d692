"""The soak's verdicts, its RESULTS-soak.md and plot, and its section of RESULTS.md.

The rules are ``RULES`` (printed in RESULTS-soak.md).
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

RSS_LIMIT = 1.10
P99_LIMIT = 1.5
RULES = [
    "After the warm-up windows (the first tenth of the run, at least one window):",
    "- **no error**: no answer outside 2xx, no transport error, no arrival shed;",
    "- **RSS flat**: for every server worker and the webhook worker, the median RSS of the "
    f"last third of the windows is at most {RSS_LIMIT:.2f}× the median of the first third (a "
    "leak of a tenth of the working set within the run fails; the linear-fit slope, MB/h, "
    "is shown beside it);",
    f"- **p99 flat**: the median of the windows' p99 in the last third is at most "
    f"{P99_LIMIT:.1f}× that of the first third (p99 over a 30 s window on a shared 2-core "
    "machine moves by tens of percent with the neighbours' load; a server that slows down "
    "as it runs moves further);",
    "- **webhooks kept up**: once the load stops, every delivery fanned out succeeds within "
    "the drain time, none dead.",
]


def warmup_windows(n: int) -> int:
    return max(1, round(n / 10))


def thirds(values: list[float]) -> tuple[list[float], list[float]]:
    """The first and the last third of ``values`` (at least one each)."""
    k = max(1, len(values) // 3)
    return values[:k], values[-k:]


def flat(values: list[float], limit: float) -> tuple[float, float, float, bool]:
    """(first-third median, last-third median, their ratio, ratio ≤ limit) of a series taken
    after the warm-up."""
    if not values:
        return 0.0, 0.0, 0.0, False
    first, last = thirds(values)
    a, b = statistics.median(first), statistics.median(last)
    ratio = b / a if a > 0 else (1.0 if b == 0 else float("inf"))
    return a, b, ratio, ratio <= limit


def slope_per_hour(ts: list[float], values: list[float]) -> float:
    """The least-squares slope of ``values`` against ``ts`` (seconds), per hour."""
    if len(ts) < 2:
        return 0.0
    mt, mv = statistics.fmean(ts), statistics.fmean(values)
    den = sum((t - mt) ** 2 for t in ts)
    if den == 0:
        return 0.0
    return sum((t - mt) * (v - mv) for t, v in zip(ts, values, strict=True)) / den * 3600


def verdicts(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(rule, what was measured, met?) of one soak's figures."""
    windows = data["windows"]
    skip = warmup_windows(len(windows))
    steady = windows[skip:] or windows
    errors = sum(w["errors"] for w in windows)
    out = [("no error (non-2xx, transport, shed)", f"{errors} of "
            f"{sum(w['requests'] for w in windows):,} requests", errors == 0)]  # fmt: skip
    for name in sorted(steady[0]["rss_mb"]):
        series = [w["rss_mb"].get(name, 0.0) for w in steady]
        ts = [w["t"] for w in steady]
        a, b, ratio, ok = flat(series, RSS_LIMIT)
        out.append((f"RSS flat: {name} (≤ {RSS_LIMIT:.2f}×)",
                    f"{a:.1f} → {b:.1f} MB ({ratio:.3f}×; slope "
                    f"{slope_per_hour(ts, series):+.1f} MB/h)", ok))  # fmt: skip
    a, b, ratio, ok = flat([w["p99_ms"] for w in steady], P99_LIMIT)
    out.append((f"p99 flat (≤ {P99_LIMIT:.1f}×)", f"{a:.1f} → {b:.1f} ms ({ratio:.2f}×)", ok))
    hooks = data["webhooks"]
    ok = hooks["dead"] == 0 and hooks["undelivered"] == 0 and hooks["succeeded"] > 0
    out.append(("webhooks kept up (all delivered after the drain, none dead)",
                f"{hooks['succeeded']:,} delivered, {hooks['undelivered']} undelivered, "
                f"{hooks['dead']} dead", ok))  # fmt: skip
    return out


def context(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Figures beside the rules: the API's CPU per request (flat when the API does the same
    work per request all along, whatever the machine's other load leaves it), and how
    latency followed the machine's load average."""
    windows = data["windows"]
    steady = windows[warmup_windows(len(windows)) :] or windows
    out = []
    cpu = [w["api_cpu_ms_per_request"] for w in steady if "api_cpu_ms_per_request" in w]
    if cpu:
        a, b, ratio, _ = flat(cpu, 1.0)
        out.append(("API CPU per request (both workers)", f"{a:.1f} → {b:.1f} ms ({ratio:.2f}×)"))
    for limit in (8.0, 10.0):
        calm = [w for w in steady if w["load1"] < limit]
        busy = [w for w in steady if w["load1"] >= limit]
        if calm and busy:
            out.append((f"windows with load average < {limit:g} vs ≥ {limit:g}",
                         f"{len(calm)} vs {len(busy)}: median p99 "
                         f"{statistics.median(w['p99_ms'] for w in calm):,.0f} vs "
                         f"{statistics.median(w['p99_ms'] for w in busy):,.0f} ms, errors "
                         f"{sum(w['errors'] for w in calm)} vs "
                         f"{sum(w['errors'] for w in busy)}"))  # fmt: skip
    return out


def _window_rows(windows: list[dict[str, Any]]) -> list[str]:
    names = sorted(windows[0]["rss_mb"]) if windows else []
    head = ("| t (s) | requests | req/s | errors | p50 ms | p99 ms | late p99 ms | "
            + " | ".join(f"{n} MB" for n in names)
            + " | PG conns | deliveries | pending | delivery p99 s | load 1m "
            "| load gen CPU % | API CPU cores | API CPU ms/req |")  # fmt: skip
    rows = [head, "|" + "---:|" * (head.count("|") - 1)]
    for w in windows:
        rows.append(
            f"| {w['t']:.0f} | {w['requests']:,} | {w['rps']:.1f} | {w['errors']} | "
            f"{w['p50_ms']} | {w['p99_ms']} | {w['late_p99_ms']} | "
            + " | ".join(f"{w['rss_mb'].get(n, 0):.1f}" for n in names)
            + f" | {w['pg_connections']} | {w['delivered']:,} | {w['pending']} | "
            f"{w['delivery_p99_s']} | {w['load1']} | {w.get('gen_cpu_pct', '')} | "
            f"{w.get('api_cpu_cores', '')} | {w.get('api_cpu_ms_per_request', '')} |"
        )
    return rows


def by_operation(windows: list[dict[str, Any]]) -> list[str]:
    """Requests per operation over the soak, with the median and the worst of its windows'
    p99 (runs from before the windows kept each operation's p99 show counts alone)."""
    totals: dict[str, int] = {}
    p99s: dict[str, list[float]] = {}
    for w in windows:
        for op, n in w["by_op"].items():
            totals[op] = totals.get(op, 0) + n
        for op, ms in w.get("p99_by_op", {}).items():
            p99s.setdefault(op, []).append(ms)
    lines = ["## Requests by operation (whole soak)", "",
             "| operation | requests | median window p99 ms | worst window p99 ms |",
             "|---|---:|---:|---:|"]  # fmt: skip
    for op, n in sorted(totals.items()):
        ms = p99s.get(op)
        mid, worst = (f"{statistics.median(ms):.1f}", f"{max(ms):.1f}") if ms else ("", "")
        lines.append(f"| {op} | {n:,} | {mid} | {worst} |")
    return lines


def markdown(data: dict[str, Any], checks: list[tuple[str, str, bool]]) -> list[str]:
    peak, m = data["peak"], data["machine"]
    loads = [w["load1"] for w in data["windows"]] or [0.0]
    lines = [
        "# Soak results", "",
        "Written by `make soak` (`python -m bench.soak`); do not edit by hand.", "",
        f"- Date: {data['started']}; commit `{data['commit']}`"
        + (" (**--quick trial**)" if data["quick"] else ""),
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; {m['os']}; "
        f"Python {m['python']}. Shared with other work: load average (1 min) during the soak "
        f"{min(loads):.2f}–{max(loads):.2f}, median {statistics.median(loads):.2f}.",
        f"- Served: `csoapi serve --workers {data['workers']}` on PostgreSQL "
        f"({data['scale']}), one `csoapi worker` delivering webhooks to a local receiver "
        "(`bench/sink.py`); the load from one asyncio/httpx process on the same machine.",
        f"- Peak of the mix: {peak['ok_rps']:.1f} req/s of 2xx (closed loop, {peak['users']} "
        f"at once for {peak['seconds']:.0f} s; p50 {peak['p50_ms']} ms, p99 {peak['p99_ms']} ms,"
        f" {peak['errors']} errors). Soak: **{data['rate']:.1f} req/s**, open loop (fixed "
        f"arrivals), for {data['minutes']:g} min, windows of {data['every']:g} s; latency "
        "counts from each request's scheduled start.",
        f"- Mix (weights): {', '.join(f'{op} {w}' for op, w in data['mix'])}.", "",
        "## Verdicts", "", "| rule | measured | met |", "|---|---|---|",
    ]  # fmt: skip
    lines += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in checks]
    lines += [f"| {t} (context, no rule) | {v} | |" for t, v in context(data)]
    lines += ["", *RULES, "", "## Windows", "", *_window_rows(data["windows"])]
    lines += ["", *by_operation(data["windows"])]
    samples = [s for w in data["windows"] for s in w["error_samples"]][:20]
    if samples:
        lines += ["", "## Errors seen (first 20)", "", "```", *samples, "```"]
    lines += ["", "![RSS and p99 per window](results-soak.png)", ""]
    return lines


def write(data: dict[str, Any], folder: Path) -> list[str]:
    checks = verdicts(data)
    (folder / "RESULTS-soak.md").write_text("\n".join(markdown(data, checks)))
    chart(data, folder / "results-soak.png")
    summary = [f"Last `make soak` ({data['started']}, commit `{data['commit']}`"
               + (", --quick trial" if data["quick"] else "")
               + f"): {data['minutes']:g} min at {data['rate']:.1f} req/s, half the measured "
               f"peak of {data['peak']['ok_rps']:.1f}. Windows, plot and rules in "
               "[RESULTS-soak.md](RESULTS-soak.md).", "",
               "| rule | measured | met |", "|---|---|---|"]  # fmt: skip
    summary += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in checks]
    results = folder / "RESULTS.md"
    old = results.read_text() if results.exists() else "# Benchmark results\n"
    results.write_text(put_section(old, "Soak", summary))
    return [f"{'PASS' if ok else 'MISS'}  {t}: {v}" for t, v, ok in checks]


def section(text: str, title: str) -> str:
    """The ``## title`` section of a markdown text, heading included ('' when absent)."""
    m = re.search(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    return m.group(0) if m else ""


def put_section(text: str, title: str, body: list[str]) -> str:
    """``text`` with its ``## title`` section replaced by ``body`` (appended when absent)."""
    new = "\n".join([f"## {title}", "", *body]).rstrip("\n") + "\n\n"
    old = section(text, title)
    if old:
        return text.replace(old, new)
    return text.rstrip("\n") + "\n\n" + new


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ws = data["windows"]
    ts = [w["t"] / 60 for w in ws]
    fig, (top, mid, bottom) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
    for name in sorted(ws[0]["rss_mb"]) if ws else []:
        top.plot(ts, [w["rss_mb"].get(name, 0) for w in ws], label=name)
    top.set_ylabel("RSS, MB")
    top.legend(fontsize=7)
    top.set_title(f"Soak at {data['rate']:.0f} req/s (half the peak), open loop")
    mid.plot(ts, [w["p99_ms"] for w in ws], label="p99")
    mid.plot(ts, [w["p50_ms"] for w in ws], label="p50")
    mid.set_ylabel("latency, ms")
    mid.legend(fontsize=7)
    bottom.plot(ts, [w["rps"] for w in ws], label="req/s")
    bottom.plot(ts, [w["load1"] * 10 for w in ws], label="load average × 10", linestyle="--")
    bottom.set_xlabel("minutes")
    bottom.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
