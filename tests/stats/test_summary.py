"""GET /api/v1/stats/summary against a golden set of calls and citations with known
answers: counts, percentiles (the same on both databases), the share closed without
escalation, money, filters, suppression and CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from csoapi.calls.models import Call
from tests.factories import assert_problem, everyone

URL = "/api/v1/stats/summary"
T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
PERIOD = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}


def add_call(
    db,
    n,
    call_type,
    *,
    disposition=None,
    on_scene_min=None,
    cleared_min=None,
    escalated=False,
    beat="521",
    when=T0,
):
    status = "cleared" if cleared_min is not None else "on_scene" if on_scene_min else "received"
    if escalated:
        status = "escalated"
    db.add(
        Call(
            number=f"CFS26-{n:06d}",
            source="phone",
            call_type=call_type,
            priority=3,
            address="1 Main St",
            beat=beat,
            received_at=when,
            status=status,
            on_scene_at=when + timedelta(minutes=on_scene_min) if on_scene_min else None,
            cleared_at=when + timedelta(minutes=cleared_min) if cleared_min else None,
            escalated_at=when + timedelta(minutes=5) if escalated else None,
            disposition=disposition,
        )
    )


@pytest.fixture
def golden(db):
    n = 0
    # 20 parking calls, arrivals at 1..20 minutes, all cleared 10 minutes after arrival.
    for i in range(1, 21):
        n += 1
        add_call(
            db, n, "PARKING", disposition="CITATION_ISSUED", on_scene_min=i, cleared_min=i + 10
        )
    # 12 noise calls handled; 3 escalated (a small cell in the table).
    for _ in range(12):
        n += 1
        add_call(db, n, "NOISE", disposition="HANDLED", on_scene_min=30, cleared_min=40)
    for _ in range(3):
        n += 1
        add_call(db, n, "NOISE", escalated=True, disposition="TRANSFERRED_TO_SWORN")
    # Outside the period and in another beat: counted only when asked for.
    n += 1
    add_call(db, n, "PARKING", when=T0 - timedelta(days=40))
    for _ in range(11):
        n += 1
        add_call(db, n, "ANIMAL", beat="999", disposition="ADVISED")
    db.commit()


def cells(body, figure):
    (fig,) = [f for f in body["figures"] if f["id"] == figure]
    assert fig["definition"]
    return {tuple(sorted(c["labels"].items())): c for c in fig["cells"]}


async def test_who_may_read_statistics(client, db, settings):
    team = everyone(db, settings)
    assert_problem(await client.get(URL, params=PERIOD), 401)
    for who in ("cso", "admin", "cad", "payment_portal"):
        assert_problem(await client.get(URL, params=PERIOD, headers=team[who].headers), 403)
    for who in ("sergeant", "records"):
        r = await client.get(URL, params=PERIOD, headers=team[who].headers)
        assert r.status_code == 200, r.text
        assert r.json()["small_cell_threshold"] == 11


async def test_golden_figures(client, db, settings, golden):
    sergeant = everyone(db, settings)["sergeant"].headers
    body = (await client.get(URL, params=PERIOD | {"beat": "521"}, headers=sergeant)).json()
    table = cells(body, "calls.by_type_and_disposition")
    key = lambda t, d: (("call_type", t), ("disposition", d))  # noqa: E731
    assert table[key("PARKING", "CITATION_ISSUED")]["value"] == 20
    # 3 escalated noise calls: withheld. The noise row's total (15) is published, so its
    # one other cell (12 handled) is withheld with it; each of those two columns then holds
    # a single withheld cell beside nothing else, so their totals are withheld too.
    withheld = {k for k, c in table.items() if c["suppressed"]}
    assert withheld == {
        key("NOISE", "TRANSFERRED_TO_SWORN"),
        key("NOISE", "HANDLED"),
        key("(all)", "TRANSFERRED_TO_SWORN"),
        key("(all)", "HANDLED"),
    }
    assert all(table[k]["value"] is None for k in withheld)
    assert table[key("NOISE", "(all)")]["value"] == 15
    assert table[key("(all)", "(all)")]["value"] == 35
    arrive = cells(body, "calls.received_to_on_scene")
    # 20 parking arrivals at 1..20 minutes and 12 noise at 30: 32 calls.
    assert arrive[(("statistic", "n"),)]["value"] == 32
    assert arrive[(("statistic", "median"),)]["value"] == pytest.approx(16.5 * 60)
    # percentile_cont(0.9) over 32 values: rank 27.9 lies between 30 and 30 minutes.
    assert arrive[(("statistic", "p90"),)]["value"] == pytest.approx(30 * 60)
    clear = cells(body, "calls.on_scene_to_cleared")
    assert clear[(("statistic", "median"),)]["value"] == pytest.approx(600)
    share = cells(body, "calls.closed_without_escalation")
    assert share[(("statistic", "whole"),)]["value"] is None  # 3 escalated: a small side
    assert share[(("statistic", "share"),)]["suppressed"] is True
    everywhere = (await client.get(URL, params=PERIOD, headers=sergeant)).json()
    assert (
        cells(everywhere, "calls.by_type_and_disposition")[key("ANIMAL", "ADVISED")]["value"] == 11
    )


async def test_no_escalations_gives_a_share(client, db, settings):
    for i in range(15):
        add_call(db, i, "PARKING", disposition="HANDLED", on_scene_min=2, cleared_min=5)
    db.commit()
    sergeant = everyone(db, settings)["sergeant"].headers
    body = (await client.get(URL, params=PERIOD, headers=sergeant)).json()
    share = cells(body, "calls.closed_without_escalation")
    assert share[(("statistic", "share"),)]["value"] == 1.0


async def test_csv_and_bad_periods(client, db, settings, golden):
    sergeant = everyone(db, settings)["sergeant"].headers
    r = await client.get(URL, params=PERIOD, headers=sergeant | {"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {"figure", "labels", "value", "unit", "suppressed", "definition"} <= set(rows[0])
    withheld = [x for x in rows if x["suppressed"] == "true"]
    assert withheld and all(x["value"] == "" for x in withheld)
    bad = {"from": "2026-11-01T00:00:00Z", "to": "2026-10-01T00:00:00Z"}
    assert_problem(await client.get(URL, params=bad, headers=sergeant), 422, "invalid_period")
    assert_problem(await client.get(URL, params={"from": "yesterday"}, headers=sergeant), 422)
    assert uuid.uuid4()


async def test_every_feature_contributes_its_figures(client, db, settings):
    sergeant = everyone(db, settings)["sergeant"].headers
    body = (await client.get(URL, params=PERIOD, headers=sergeant)).json()
    ids = {f["id"] for f in body["figures"]}
    assert {"calls.by_type_and_disposition", "citations.issued", "payments.collected_cents"} <= ids
    assert {"impounds.by_reason", "impounds.released", "impounds.disposed"} <= ids
    assert {"evidence.intake", "evidence.dispositions"} <= ids
    assert {"referrals.by_status", "referrals.outcomes", "referrals.closed_loop"} <= ids
