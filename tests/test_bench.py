"""The benchmark's own pure parts: target verdicts, the repeated import file, the plate list.
(The benchmark itself is `make bench`; its numbers never become test assertions.)"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from bench import ab, load, pools, report
from bench.harness import Server


def _r(scenario, server, rps, p99=10.0, workers=1, errors=0, note="", rss=(120.0,)):
    return {"scenario": scenario, "server": server, "workers": workers, "rps": rps,
            "p99_ms": p99, "errors": errors, "note": note, "rss_mb": list(rss)}  # fmt: skip


def test_verdicts_follow_the_issue_targets():
    data = {
        "results": [
            _r("lookup", "csoapi", 1600, p99=40),
            _r("lookup", "asyncpg", 1000),
            _r("lookup", "samework", 3000),
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
        "lookup ≥ 0.5× asyncpg doing the same work (1w)": True,  # 1600/3000 = 0.53×
        "lookup ≥ 30% of bare (1w)": False,  # 1600/6000 = 27%
        "lookup p99 ≤ 50 ms (1w)": True,
        "lookup 0 errors (1w)": True,
        "lookup at 1M ≤ 1.3× cost at 10k (1w)": False,  # 2200/1600 = 1.375
        "issuance ≥ 600/s, no gaps (1w)": False,  # fast enough, but numbers are not clean
        "page 1000 ≤ 1.2× page 1 (1w)": True,  # 1.11×
        "RSS ≤ 200 MB per worker": False,
        "import ≥ 10,000 calls/s": False,
    }


def test_the_minimal_endpoint_is_context_now_and_same_work_the_target():
    data = {
        "results": [
            _r("lookup", "csoapi", 800, workers=1),
            _r("lookup", "samework", 2000, workers=1),
            _r("lookup", "asyncpg", 8000, workers=1),
            _r("lookup", "csoapi", 1000, workers=2),
        ]
    }
    assert report.context(data) == [
        ("lookup vs asyncpg doing the same work (1w)", "0.40× (800 vs 2,000 req/s, errors 0)"),
        (
            "lookup vs minimal asyncpg (retired target ≥ 1.5×) (1w)",
            "0.10× (800 vs 8,000 req/s, errors 0)",
        ),
    ]
    got = {target: (measured, met) for target, measured, met in report.verdicts(data)}
    assert got["lookup ≥ 0.5× asyncpg doing the same work (1w)"] == ("0.40×", False)
    assert not any("1.5×" in target for target in got)


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


def _ab(scenario, server, rps, rounds, workers=1, errors=0):
    return {**_r(scenario, server, rps, workers=workers, errors=errors), "connections": 16,
            "p50_ms": 5.0, "rounds_rps": list(rounds)}  # fmt: skip


def test_ab_pairs_each_scenario_of_the_old_commit_with_the_new_one():
    data = {
        "against": {"commit": "fe919e6", "runs": "/srv/old/src/csoapi/cli.py"},
        "results": [
            _ab("lookup", "csoapi", 900, (880, 900, 920)),
            _ab("lookup", "fe919e6", 1000, (990, 1000, 1010)),  # 10% faster: beyond ±5%
            _ab("create call (CAD)", "csoapi", 700, (600, 700, 800)),
            _ab("create call (CAD)", "fe919e6", 750, (740, 750, 760)),  # within ±29%
            _ab("payment (portal)", "csoapi", 500, (500,)),
            _ab("payment (portal)", "fe919e6", 250, (250,), errors=3),
            _ab("lookup", "csoapi", 1200, (1200,), workers=2),  # no old run: no pair
            _ab("lookup", "samework", 3000, (3000,)),
        ],
    }
    pairs = [(o["scenario"], o["server"], n["server"]) for o, n in report.ab_pairs(data)]
    assert pairs == [
        ("lookup", "fe919e6", "csoapi"),
        ("create call (CAD)", "fe919e6", "csoapi"),
        ("payment (portal)", "fe919e6", "csoapi"),
    ]
    got = {t: (m, ok) for t, m, ok in report.ab_verdicts(data)}
    assert got == {  # moved routes are measured, not judged
        "lookup not slower than fe919e6 (1w)": ("0.90× (900 vs 1,000 req/s; noise ±5%)", False),
        "create call (CAD) not slower than fe919e6 (1w)": (
            "0.93× (700 vs 750 req/s; noise ±29%)",
            True,
        ),
    }
    assert {t for t, _, _ in report.verdicts(data)} >= set(got)
    table = "\n".join(report.ab_table(data))
    assert "| payment (portal) (*moved*) | 1 | 16 | 250.0 | 500.0 | 2.00× | ±5% |" in table
    assert "| 3/0 |" in table and "/srv/old/src/csoapi/cli.py" in table


def test_no_ab_without_an_old_commit():
    data = {"results": [_ab("lookup", "csoapi", 900, (900,))]}
    assert report.ab_pairs(data) == [] and report.ab_table(data) == []


def test_paired_legs_interleave_new_and_old():
    new, old = Server("csoapi-w1", [], {}, 1, 1), Server("fe919e6-w1", [], {}, 2, 1)
    scen = [("p1", {"A": "new"}, {"A": "old"}), ("p9", {"B": "new"}, {"B": "old"})]
    assert [(s.name, n, e) for s, n, e in ab.paired(new, old, scen)] == [
        ("csoapi-w1", "p1", {"A": "new"}),
        ("fe919e6-w1", "p1", {"A": "old"}),
        ("csoapi-w1", "p9", {"B": "new"}),
        ("fe919e6-w1", "p9", {"B": "old"}),
    ]
    assert [(s.name, n) for s, n, _ in ab.paired(new, None, scen)] == [
        ("csoapi-w1", "p1"),
        ("csoapi-w1", "p9"),
    ]


def test_an_id_pool_is_a_lua_table_and_never_empty(tmp_path):
    path = pools.write_ids(tmp_path / "ids.lua", ["a1", "b2"])
    assert path.read_text() == 'return {\n"a1",\n"b2"\n}\n'
    with pytest.raises(ValueError):
        pools.write_ids(tmp_path / "none.lua", [])


def test_the_old_tree_is_what_its_server_imports():
    """A worktree of HEAD: its csoapi is imported ahead of the editable install, and nothing
    is compiled in it until something imports it (so compiled modules prove the server ran)."""
    with ab.Worktree("HEAD") as tree:
        assert ab.imported_from(tree.env()) == (tree.src / "csoapi" / "cli.py").resolve()
        assert ab.compiled_in(tree.src) == []
        with pytest.raises(RuntimeError, match="no app module"):
            ab.check_runs(tree, server_started=True)
        env = {**os.environ, **tree.env()}
        subprocess.run([sys.executable, "-c", "import csoapi.main"], env=env, check=True)
        assert "main" in ab.compiled_in(tree.src)
        assert ab.check_runs(tree, server_started=True).startswith(str(tree.src.resolve()))
        path = tree.path
    assert not path.exists()
