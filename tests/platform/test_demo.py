"""The demo agency (issue 22): ``seed-demo`` on an empty database makes a system where the
README's walk-throughs work (a portal looks up and pays, a sergeant has a queue, a CSO has
calls), writes the logins beside the database (mode 600), and refuses, in one line, a
database that has users already."""

from __future__ import annotations

import stat
import uuid

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from csoapi.cli import app
from csoapi.core.config import get_settings
from csoapi.core.migrate import upgrade
from tests.conftest import make_settings, serving

runner = CliRunner()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{tmp / 'demo.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSOAPI_DATABASE_URL", url)
        mp.setenv("CSOAPI_ENV", "test")
        mp.setenv("CSOAPI_JWT_SECRET", "test-signing-key-" + "k" * 40)
        mp.setenv("CSOAPI_PASSWORD_HASH_MEMORY_KIB", "1024")
        get_settings.cache_clear()
        upgrade(url)
        first = runner.invoke(app, ["seed-demo"])
        again = runner.invoke(app, ["seed-demo"])
        if_empty = runner.invoke(app, ["seed-demo", "--if-empty"])
        get_settings.cache_clear()
    return {"url": url, "dir": tmp, "first": first, "again": again, "if_empty": if_empty}


def _env(path):
    return dict(
        line.split("=", 1) for line in path.read_text().splitlines() if not line.startswith("#")
    )


def test_logins_are_printed_and_written_beside_the_database(seeded):
    assert seeded["first"].exit_code == 0, seeded["first"].output
    out = seeded["first"].output
    assert out.count("password ") == 5 and out.count("client_secret ") == 2
    path = seeded["dir"] / "csoapi-demo.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    env = _env(path)
    for key in ("ADMIN", "SERGEANT", "CSO", "CSO2", "RECORDS"):
        assert env[f"{key}_USERNAME"] and env[f"{key}_PASSWORD"] in out
    for key in ("CAD", "PORTAL"):
        assert env[f"{key}_CLIENT_ID"] and env[f"{key}_CLIENT_SECRET"] in out


def test_a_seeded_database_is_refused_in_one_line(seeded):
    again = seeded["again"]
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert "already has users" in again.output and "csoapi-demo.env" in again.output
    assert seeded["if_empty"].exit_code == 0 and "nothing seeded" in seeded["if_empty"].output


def test_the_demo_holds_every_main_flow(seeded):
    engine = sa.create_engine(seeded["url"])
    with engine.connect() as conn:

        def count(table: str, where: str = "1=1") -> int:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()  # noqa: S608

        assert count("violation") >= 90  # the NYC schedule
        assert count("citation") == 4 + 300  # live ones, and the LA sample
        assert count("payment") == 1
        assert count("call", "status = 'received'") == 2  # live queue: the demo's own only
        assert count("call") == 8 + 300
        assert count("report", "status = 'submitted'") == 1
        # The field services (demo_field): permits (one revoked), defects, assignments,
        # outreach events and Watch groups with a meeting each.
        assert count("permit") == 4 and count("permit", "state = 'revoked'") == 1
        assert count("defect") == 3 and count("assignment") == 3
        assert count("outreach_event") == 3 and count("outreach_event", "youth_focus") == 2
        assert count("watch_group") == 2 and count("watch_meeting") == 2
        assert count("duty_shift", "ended_at IS NULL") == 2  # the sergeant and a CSO on duty
    engine.dispose()


async def _token(c: httpx.AsyncClient, **form: str) -> dict[str, str]:
    r = await c.post("/api/v1/auth/token", data=form)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_the_readme_walkthroughs_work_on_the_demo(seeded):
    env = _env(seeded["dir"] / "csoapi-demo.env")
    async with serving(make_settings(seeded["url"])) as c:
        portal = await _token(
            c,
            grant_type="client_credentials",
            client_id=env["PORTAL_CLIENT_ID"],
            client_secret=env["PORTAL_CLIENT_SECRET"],
        )
        r = await c.get(
            "/api/v1/citations/lookup",
            params={"plate": "DEMO001", "plate_state": "CA"},
            headers=portal,
        )
        assert r.status_code == 200, r.text
        owed = r.json()["items"]
        assert len(owed) == 2 and any(o["paid_cents"] == 2000 for o in owed)
        target = owed[0]
        r = await c.post(
            f"/api/v1/citations/{target['id']}/payments",
            json={"amount_cents": 500, "method": "card", "reference": "readme"},
            headers={**portal, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert r.status_code == 201, r.text

        sergeant = await _token(
            c,
            grant_type="password",
            username=env["SERGEANT_USERNAME"],
            password=env["SERGEANT_PASSWORD"],
        )
        r = await c.get("/api/v1/reports", params={"status": "submitted"}, headers=sergeant)
        assert r.status_code == 200 and len(r.json()["items"]) == 1

        cso = await _token(
            c, grant_type="password", username=env["CSO_USERNAME"], password=env["CSO_PASSWORD"]
        )
        r = await c.get("/api/v1/calls", params={"status": "received"}, headers=cso)
        assert r.status_code == 200 and len(r.json()["items"]) == 2

        # A permit the portal can renew now, and a Watch group's contacts for a CSO.
        r = await c.get("/api/v1/permits", params={"plate": "DEMO101"}, headers=cso)
        (permit,) = r.json()["items"]
        r = await c.get(
            "/api/v1/permits/lookup", params={"number": permit["number"]}, headers=portal
        )
        fee = r.json()["renewal"]["fee_cents"]
        r = await c.post(
            f"/api/v1/permits/{permit['id']}/renewals",
            json={"amount_cents": fee, "method": "card", "reference": "readme-renewal"},
            headers={**portal, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert r.status_code == 201, r.text
        r = await c.get("/api/v1/outreach/watch-groups", headers=cso)
        groups = r.json()["items"]
        assert len(groups) == 2 and all(g["last_met_at"] for g in groups)
        r = await c.get(f"/api/v1/outreach/watch-groups/{groups[0]['id']}/contacts", headers=cso)
        assert r.status_code == 200 and r.json()["contacts"][0]["name"] == "Pat Placeholder"


async def test_a_records_clerk_finds_chicago_tows_with_fees_and_a_release(seeded):
    """The Chicago sample: imported as history (its refused rows, blank plates and repeats,
    refused), and five of its vehicles towed again: four on the lots with fees running (one
    part paid), one paid in full and released."""
    env = _env(seeded["dir"] / "csoapi-demo.env")
    assert "Chicago tows" in seeded["first"].output
    async with serving(make_settings(seeded["url"])) as c:
        clerk = await _token(
            c,
            grant_type="password",
            username=env["RECORDS_USERNAME"],
            password=env["RECORDS_PASSWORD"],
        )
        r = await c.get("/api/v1/impounds", params={"status": "stored"}, headers=clerk)
        assert r.status_code == 200, r.text
        on_lots = r.json()["items"]
        assert len(on_lots) == 4
        assert {i["storage_lot"] for i in on_lots} == {
            "10300 S. Doty",
            "400 E. Lower Wacker",
            "701 N. Sacramento",
        }
        assert all(i["plate"].startswith("Z") for i in on_lots)  # placeholder plates

        async def read(impound_id: str) -> dict:
            r = await c.get(f"/api/v1/impounds/{impound_id}", headers=clerk)
            assert r.status_code == 200, r.text
            return r.json()

        quotes = [
            (await c.get(f"/api/v1/impounds/{i['id']}/fees", headers=clerk)).json() for i in on_lots
        ]
        assert all(q["total_cents"] > 0 for q in quotes)  # tow, storage days, admin
        paid = sorted([(await read(i["id"]))["paid_cents"] for i in on_lots])
        assert paid == [0, 0, 0, 10_000]
        r = await c.get(
            "/api/v1/impounds", params={"status": "released", "limit": 500}, headers=clerk
        )
        released = [await read(i["id"]) for i in r.json()["items"]]
        live = [i for i in released if i["source"] != "import"]
        assert len(live) == 1 and live[0]["release"]["fees_paid_cents"] == live[0]["paid_cents"]
        assert live[0]["paid_cents"] > 0
        assert live[0]["release"]["owner"]["name"] == "Morgan Placeholder"
        history = [i for i in released if i["source"] == "import"]
        assert 200 <= len(history) < 300  # the sample's 300 rows, less the refused ones
        assert {i["jurisdiction"] for i in history} == {"US-IL"}
        assert all(i["external_id"] and i["towed_at"] < "2022-06" for i in history)
