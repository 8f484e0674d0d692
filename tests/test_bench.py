"""The benchmark's own pure parts: target verdicts, the repeated import file, the plate list.
(The benchmark itself is `make bench`; its numbers never become test assertions.)"""

from __future__ import annotations

import csv

from bench import load, report


def _r(scenario, server, rps, p99=10.0, workers=1, errors=0, note="", rss=(120.0,)):
    return {"scenario": scenario, "server": server, "workers": workers, "rps": rps,
            "p99_ms": p99, "errors": errors, "note": note, "rss_mb": list(rss)}  # fmt: skip


def test_verdicts_follow_the_issue_targets():
    data = {
        "results": [
            _r("lookup", "csoapi", 1600, p99=40),
            _r("lookup", "asyncpg", 1000),
            _r("lookup", "bare", 6000),
            _r("lookup (all rows)", "csoapi", 1600),
            _r("lookup (10k rows)", "csoapi", 2200),
            _r("issue citation", "csoapi", 650, note="900 numbers issued: GAPS OR DUPLICATES"),
            _r("calls list page 1", "csoapi", 1000),
            _r("calls list page 1000", "csoapi", 900, rss=(250.0,)),
        ],
        "import": {"rows_per_second": 9_999.0},
    }
    got = {target: met for target, _, met in report.verdicts(data)}
    assert got == {
        "lookup ≥ 1.5× asyncpg (1w)": True,  # 1.6×
        "lookup ≥ 30% of bare (1w)": False,  # 1600/6000 = 27%
        "lookup p99 ≤ 50 ms (1w)": True,
        "lookup 0 errors (1w)": True,
        "lookup at 1M ≤ 1.3× cost at 10k (1w)": False,  # 2200/1600 = 1.375
        "issuance ≥ 600/s, no gaps (1w)": False,  # fast enough, but numbers are not clean
        "page 1000 ≤ 1.2× page 1 (1w)": True,  # 1.11×
        "RSS ≤ 200 MB per worker": False,
        "import ≥ 10,000 calls/s": False,
    }


def test_the_same_work_reference_is_context_not_a_target():
    data = {
        "results": [
            _r("lookup", "csoapi", 800, workers=1),
            _r("lookup", "samework", 2000, workers=1),
            _r("lookup", "csoapi", 1000, workers=2),
        ]
    }
    assert report.context(data) == [
        ("lookup vs asyncpg doing the same work (1w)", "0.40× (800 vs 2,000 req/s, errors 0)")
    ]
    assert not any("same work" in target for target, _, _ in report.verdicts(data))


def test_table_size_is_judged_on_the_runs_made_in_turns():
    data = {
        "results": [
            _r("lookup", "csoapi", 1000),  # measured minutes earlier: not this comparison
            _r("lookup (all rows)", "csoapi", 2000),
            _r("lookup (10k rows)", "csoapi", 2200),
        ]
    }
    got = {target: (measured, met) for target, measured, met in report.verdicts(data)}
    assert got["lookup at 1M ≤ 1.3× cost at 10k (1w)"] == ("1.10×", True)


def test_the_repeated_san_diego_file_has_unique_incident_numbers(shared_data, tmp_path):
    out = tmp_path / "sd.csv"
    assert load.san_diego_repeated(out, 30_000) == 30_000
    with out.open(newline="") as fh:
        ids = [row["incident_num"] for row in csv.DictReader(fh)]
    assert len(ids) == 30_000 and len(set(ids)) == len(ids)
    assert ids[0] == "E23010000001" and ids[26_595] == "E23010000001-R1"


def test_plates_are_written_as_a_lua_table(tmp_path):
    path = tmp_path / "p.lua"
    load.write_plates(path, [("ABC123", "CA"), ("XYZ9", "NV"), ("Q1", "TX")], 2)
    text = path.read_text()
    assert text.startswith("return {") and text.count('{"') == 2


def test_runs_in_turns_sum_their_requests_and_take_the_median_latency():
    import os
    from types import SimpleNamespace

    from bench.harness import Server, summarize

    srv = Server("csoapi-w1", [], {}, 0, 1)
    srv.proc = SimpleNamespace(pid=os.getpid())  # type: ignore[assignment]
    zero = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    runs = [
        {**zero, "requests": 100, "duration_us": 1_000_000, "p50_us": 9_000, "p99_us": 90_000,
         "status": 1},
        {**zero, "requests": 300, "duration_us": 1_000_000, "p50_us": 5_000, "p99_us": 30_000,
         "status": 0},
        {**zero, "requests": 200, "duration_us": 2_000_000, "p50_us": 7_000, "p99_us": 70_000,
         "status": 2},
    ]  # fmt: skip
    r = summarize(srv, "lookup (10k rows)", 32, runs)
    assert (r.requests, r.seconds, r.rps) == (600, 4.0, 150.0)
    assert (r.p50_ms, r.p99_ms, r.errors) == (7.0, 70.0, 3)
    assert r.server == "csoapi" and r.workers == 1 and r.rss_mb and r.rss_mb[0] > 0
