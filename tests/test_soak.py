"""The soak's own pure parts (`make soak` is the soak; its figures never become assertions):
the flatness rules and verdicts, the window maths, the RESULTS.md section, and the mix's
request builders, each of whose requests the app must answer with a 2xx."""

from __future__ import annotations

import random
import time

import httpx
from bench import drive, mix, report, soak_report
from bench.mix import Mix, World

from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import bearer, create_client, create_user, token_for


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert drive.percentile(values, 50) == 50.0
    assert drive.percentile(values, 99) == 99.0
    assert drive.percentile(values, 100) == 100.0
    assert drive.percentile([7.0], 99) == 7.0
    assert drive.percentile([], 99) == 0.0
    assert drive.percentile([3.0, 1.0, 2.0], 50) == 2.0  # unordered input


def test_a_window_counts_requests_errors_and_shed_arrivals():
    w = drive.Window(started=100.0)
    for i in range(99):
        w.record("call_create", 10.0 + i, 0.5, None)
    w.record("portal_pay", 500.0, 2.0, "409 conflict")
    w.shed = 2
    s = w.summary(ended=110.0)
    assert (s["requests"], s["rps"], s["errors"], s["shed"]) == (100, 10.0, 3, 2)
    assert (s["p50_ms"], s["p99_ms"], s["late_p99_ms"]) == (59.0, 108.0, 0.5)
    assert s["by_op"] == {"call_create": 99, "portal_pay": 1}
    assert s["p99_by_op"] == {"call_create": 108.0, "portal_pay": 500.0}
    assert s["error_samples"] == ["portal_pay: 409 conflict", "2 arrivals shed: 400 in flight"]


def test_flat_compares_the_last_third_with_the_first():
    assert soak_report.thirds([1, 2, 3, 4, 5, 6, 7]) == ([1, 2], [6, 7])
    a, b, ratio, ok = soak_report.flat([100, 101, 99, 104, 108, 109.0], 1.10)
    assert (a, b, round(ratio, 3), ok) == (100.5, 108.5, 1.08, True)
    *_, ok = soak_report.flat([100, 100, 120, 130, 140, 150.0], 1.10)
    assert not ok  # a leak: 145 / 100
    assert soak_report.flat([], 1.1)[3] is False  # no figures is no verdict
    assert soak_report.warmup_windows(60) == 6 and soak_report.warmup_windows(3) == 1


def test_the_slope_is_per_hour():
    ts = [0.0, 1800.0, 3600.0]
    assert soak_report.slope_per_hour(ts, [100.0, 105.0, 110.0]) == 10.0
    assert soak_report.slope_per_hour([0.0], [1.0]) == 0.0


def _window(t, p99, rss, errors=0):
    return {"t": t, "requests": 100, "rps": 10.0, "errors": errors, "p50_ms": 5.0,
            "p99_ms": p99, "late_p99_ms": 0.1, "rss_mb": {"api w1": rss, "webhook worker": 90.0},
            "pg_connections": 7, "delivered": 10, "pending": 0, "delivery_p99_s": 0.4,
            "load1": 2.5, "error_samples": []}  # fmt: skip


def test_verdicts_follow_the_rules():
    # The first window is the warm-up (the tenth of ten, at least one): its RSS is ignored.
    rss = [50, 120, 121, 120, 122, 123, 124, 125, 140, 141]
    p99 = [900, 20, 22, 21, 25, 30, 24, 26, 33, 35]
    windows = [_window(30.0 * i, p, r) for i, (p, r) in enumerate(zip(p99, rss, strict=True))]
    data = {"windows": windows, "webhooks": {"succeeded": 40, "undelivered": 0, "dead": 1}}
    data["windows"][4]["errors"] = 2
    got = {rule: (measured, ok) for rule, measured, ok in soak_report.verdicts(data)}
    assert got["no error (non-2xx, transport, shed)"] == ("2 of 1,000 requests", False)
    measured, ok = got["RSS flat: api w1 (≤ 1.10×)"]
    assert measured.startswith("120.0 → 140.0 MB (1.167×") and not ok
    assert got["RSS flat: webhook worker (≤ 1.10×)"][1] is True
    assert got["p99 flat (≤ 1.5×)"] == ("21.0 → 33.0 ms (1.57×)", False)
    assert got["webhooks kept up (all delivered after the drain, none dead)"][1] is False


def test_the_context_sets_cpu_per_request_and_the_machine_load_beside_the_rules():
    windows = [_window(30.0 * i, p99, 120.0) for i, p99 in enumerate([900, 20, 20, 40, 60, 80])]
    for w, load, cpu in zip(windows, [9, 5, 5, 7, 11, 12], [9, 6, 6, 6, 6.6, 7], strict=True):
        w["load1"], w["api_cpu_ms_per_request"] = float(load), cpu
    windows[5]["errors"] = 4
    got = dict(soak_report.context({"windows": windows}))
    assert got["API CPU per request (both workers)"] == "6.0 → 7.0 ms (1.17×)"
    assert got["windows with load average < 8 vs ≥ 8"] == (
        "3 vs 2: median p99 20 vs 70 ms, errors 0 vs 4"
    )
    assert "windows with load average < 10 vs ≥ 10" in got
    for w in windows:  # a run from before the API's CPU was sampled
        del w["api_cpu_ms_per_request"]
    assert "API CPU per request (both workers)" not in dict(
        soak_report.context({"windows": windows})
    )


def test_operations_sum_their_windows():
    a = {
        "by_op": {"call_create": 10, "stats_summary": 1},
        "p99_by_op": {"call_create": 30.0, "stats_summary": 90.0},
    }
    b = {"by_op": {"call_create": 5}, "p99_by_op": {"call_create": 50.0}}
    old = {"by_op": {"call_create": 2}}  # a window from before p99 by operation
    rows = soak_report.by_operation([a, b, old])
    assert rows[4:] == ["| call_create | 17 | 40.0 | 50.0 |", "| stats_summary | 1 | 90.0 | 90.0 |"]
    assert soak_report.by_operation([old])[4] == "| call_create | 2 |  |  |"


def test_the_soak_section_replaces_itself_and_keeps_the_rest():
    text = "# Benchmark results\n\n## Targets\n\nt\n\n## Scenarios\n\ns\n"
    once = soak_report.put_section(text, "Soak", ["first"])
    assert once.endswith("## Scenarios\n\ns\n\n## Soak\n\nfirst\n\n")
    twice = soak_report.put_section(once, "Soak", ["second"])
    assert "first" not in twice and twice.count("## Soak") == 1 and "## Scenarios\n\ns" in twice
    middle = soak_report.put_section("# R\n\n## Soak\n\nold\n\n## Import\n\ni\n", "Soak", ["new"])
    assert middle == "# R\n\n## Soak\n\nnew\n\n## Import\n\ni\n"
    assert soak_report.section(middle, "Import") == "## Import\n\ni\n"


def test_make_bench_keeps_the_soak_section_when_it_rewrites_results():
    old = "# Benchmark results\n\n## Targets\n\nold\n\n## Soak\n\nLast soak\n\n| r |\n"
    new = "# Benchmark results\n\n## Targets\n\nnew\n\n![chart](results.png)\n"
    assert report.keep_soak(old, new) == new + "\n## Soak\n\nLast soak\n\n| r |\n\n"
    assert report.keep_soak("", new) == new and report.keep_soak(new, new) == new


# Each flow's steps in order, so that every step finds its pool fed by the one before.
FLOWS = [
    "call_create", "call_update", "call_assign", "call_list",
    "report_draft", "report_submit", "report_approve",
    "citation_issue", "portal_lookup", "portal_pay",
    "impound_create", "impound_fees", "impound_pay", "impound_release",
    "evidence_intake", "custody_move", "custody_move",
    "referral_create", "referral_accept",
    "stats_summary",
]  # fmt: skip


async def _world(client, db, settings) -> tuple[World, dict[str, str]]:
    """The arrangement the soak makes, on the test database: tokens of every principal the
    mix uses, the directory's service, two shelves, a violation and a payable citation."""
    cso = create_user(db, settings, "cso")
    tokens = {role: token_for(db, settings, create_user(db, settings, role))
              for role in ("sergeant", "records", "admin")}  # fmt: skip
    tokens["cso"] = token_for(db, settings, cso)
    for kind, key in (("cad", "cad"), ("payment_portal", "portal")):
        tokens[key] = token_for(db, settings, create_client(db, settings, kind)[0])

    async def post(who: str, path: str, body: dict) -> dict:
        r = await client.post(path, json=body, headers=bearer(tokens[who]))
        assert r.status_code == 201, r.text
        return r.json()

    org = await post("admin", "/api/v1/organizations", mix.ORGANIZATION)
    service = await post("admin", "/api/v1/services", mix.service_body(org["id"]))
    provider = await post("admin", "/api/v1/clients", mix.provider_body(org["id"]))
    r = await client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": provider["client_id"],
        "client_secret": provider["client_secret"]})  # fmt: skip
    tokens["provider"] = r.json()["access_token"]
    room = await post("records", "/api/v1/evidence/locations", mix.ROOM)
    shelves = [(await post("records", "/api/v1/evidence/locations",
                           mix.shelf_body(room["id"], i)))["id"] for i in (1, 2)]  # fmt: skip
    schedule(db, settings)
    payable = await post("cso", CITATIONS, citation_body())
    world = World(
        cso_id=str(cso.id), locations=(shelves[0], shelves[1]), service_id=service["id"],
        org_id=org["id"], violation_codes=["22500E"], call_types=["PARKING"],
        plates=[("7ABC123", "CA")], payable=[payable["id"]],
    )  # fmt: skip
    return world, tokens


async def test_every_request_of_the_mix_is_answered_with_a_2xx(client, db, settings):
    world, tokens = await _world(client, db, settings)
    assert sorted(set(FLOWS)) == sorted(op for op, _ in Mix.WEIGHTS)
    m, rng, rec = Mix(world), random.Random(3), drive.Recorder()
    for op in FLOWS:
        req = m.build(op, rng)
        assert req.op == op, f"{op} fell back to {req.op}: its pool was empty"
        ok = await drive.send(client, tokens.__getitem__, req, time.monotonic(), rec)
        assert ok, rec.window.error_samples
    assert all(not pool for name, pool in m.pools.items() if name != "items"), m.pools
    assert len(m.pools["items"]) == 1  # an item stays on its shelves, moving between them
    summary = rec.cut()
    assert summary["errors"] == 0 and summary["requests"] == len(FLOWS)


def test_a_step_with_nothing_to_act_on_starts_its_flow():
    world = World(cso_id="x", locations=("a", "b"), service_id="s", org_id="o",
                  violation_codes=["V"], call_types=["PARKING"], plates=[("P1", "CA")],
                  payable=["c"])  # fmt: skip
    m = Mix(world)
    rng = random.Random(1)
    assert m.build("call_assign", rng).op == "call_create"
    assert m.build("impound_release", rng).op == "impound_create"
    assert m.build("report_approve", rng).op == "report_draft"
    assert m.build("referral_accept", rng).op == "referral_create"
    assert m.build("custody_move", rng).op == "evidence_intake"
    keys = {m.build("portal_pay", rng).headers["Idempotency-Key"] for _ in range(50)}
    assert len(keys) == 50  # a fresh key per payment: replays would not be the work


async def test_the_open_loop_sends_every_arrival_and_closes_every_window(monkeypatch):
    """Arrivals at a fixed rate, whatever the answers take: rate × seconds of them, cut into
    windows by their scheduled times; a 409 is an error of the soak."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        status = 409 if len(seen) == 7 else 200
        body = {"id": str(len(seen)), "balance_cents": 100}  # what the next steps read
        return httpx.Response(status, json=body, headers={"ETag": '"1"'})

    def client_for(base: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base, transport=httpx.MockTransport(answer))

    monkeypatch.setattr(drive, "client_for", client_for)
    world = World(cso_id="x", locations=("a", "b"), service_id="s", org_id="o",
                  violation_codes=["V"], call_types=["PARKING"], plates=[("P1", "CA")],
                  payable=["c"])  # fmt: skip
    windows: list[dict] = []

    async def sample(window: dict) -> None:
        windows.append(window)

    await drive.open_loop("http://soak", Mix(world), lambda who: f"t-{who}", rate=40.0,
                          seconds=0.5, every=0.25, sample=sample)  # fmt: skip
    assert len(seen) == 20 and all(h.startswith("Bearer t-") for h in seen)
    assert len(windows) == 2  # the cut at 0.25 s, and the last one
    assert sum(w["requests"] for w in windows) == 20
    assert sum(w["errors"] for w in windows) == 1
    samples = [s for w in windows for s in w["error_samples"]]
    assert len(samples) == 1 and ': 409 {"id":"7",' in samples[0], samples
