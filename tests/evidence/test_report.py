"""The court/lab export, and the stand-alone verifier run on it as a defence expert would."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
from typer.testing import CliRunner

from csoapi.cli import app as cli
from csoapi.evidence.verifier import verify_report
from tests.evidence.helpers import URL, custody, intake, make_staff, storage
from tests.factories import assert_problem

runner = CliRunner()


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


async def _report(client, staff):
    s = await storage(client, staff)
    item = await intake(client, staff, s["bins"][0], category="firearm")
    r = await custody(
        client,
        staff,
        item,
        action="check_out",
        reason="Range test",
        to_holder=str(staff["other_user"].id),
    )
    assert r.status_code == 201
    r = await custody(
        client, staff, item, action="check_in", reason="Back", to_location=s["bins"][1]["id"]
    )
    assert r.status_code == 201
    url = f"{URL}/{item['id']}/custody/report"
    assert_problem(await client.get(url), 401)
    assert_problem(await client.get(url, headers=staff["admin"]), 403)
    got = await client.get(url, headers=staff["records"])
    assert got.status_code == 200, got.text
    key = (await client.get(f"{URL}/log/key")).json()["public_key"]
    return item, got.json(), key, url


async def test_report_verifies_stand_alone(client, staff, tmp_path):
    item, report, key, _ = await _report(client, staff)
    assert report["format"] == "csoapi-custody-report/1"
    assert [e["action"] for e in report["events"]] == ["intake", "check_out", "check_in"]
    assert len(report["log"]["proofs"]) == 3 and report["verification"]["valid"]
    assert report["people"][str(staff["other_user"].id)]["name"] == "Test Person"
    good, lines = verify_report(report, public_key=key)
    assert good, lines
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    r = runner.invoke(cli, ["verify-custody", str(path), "--public-key", key])
    assert r.exit_code == 0, r.output
    assert "VALID" in r.output and "3 events proved" in r.output
    # what a rewrite looks like to the verifier
    for change in (
        lambda d: d["events"][1].update(reason="nothing to see"),
        lambda d: d["events"][2].update(at="2026-11-30T23:00:00Z"),
        lambda d: d["log"]["head"].update(root_hash="00" * 32),
        lambda d: d["log"]["proofs"][0]["audit_path"].reverse(),
        lambda d: d["log"]["head"].update(tree_size=d["log"]["head"]["tree_size"] + 1),
    ):
        bad = copy.deepcopy(report)
        change(bad)
        assert not verify_report(bad, public_key=key)[0]
        path.write_text(json.dumps(bad))
        assert runner.invoke(cli, ["verify-custody", str(path), "--public-key", key]).exit_code == 1
    other_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    assert not verify_report(report, public_key=other_key)[0]


async def test_a_kept_head_catches_a_rebuilt_log(client, staff):
    _, report, key, _ = await _report(client, staff)
    kept = report["log"]["head"]
    assert verify_report(report, public_key=key, kept_head=kept)[0]
    forged = kept | {"root_hash": "ab" * 32}
    ok, lines = verify_report(report, public_key=key, kept_head=forged)
    assert not ok and any("signature does NOT verify" in line for line in lines)


async def test_report_prints_as_pdf(client, staff):
    item, report, _, url = await _report(client, staff)
    r = await client.get(url, headers=staff["cso"] | {"Accept": "application/pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pypdfium2.PdfDocument(r.content)[0].get_textpage().get_text_range()
    assert item["barcode"] in text and "check_out" in text and "Chain verified: valid" in text
    assert report["log"]["head"]["root_hash"] in text


async def test_case_export_passes_case_validate(client, staff, tmp_path):
    item, report, _, url = await _report(client, staff)
    r = await client.post(
        f"{URL}/{item['id']}/custody",
        headers=staff["cso"],
        json={"action": "lab_submit", "to_party": "County lab", "reason": "DNA"},
    )
    assert r.status_code == 201
    case = await client.get(f"{URL}/{item['id']}/custody/case", headers=staff["cso"])
    assert case.status_code == 200 and case.headers["content-type"] == "application/ld+json"
    doc = case.json()
    actions = [n for n in doc["@graph"] if n["@type"] == "case-investigation:InvestigativeAction"]
    assert len(actions) == 4
    refs = {
        n["uco-core:externalIdentifier"]
        for n in doc["@graph"]
        if n["@type"] == "uco-core:ExternalReference"
    }
    events = (await client.get(f"{URL}/{item['id']}/custody", headers=staff["cso"])).json()
    assert {e["hash"] for e in events["items"]} <= refs
    path = tmp_path / "custody.jsonld"
    path.write_text(case.text)
    done = subprocess.run(  # noqa: S603 - our own virtualenv's validator on our own file
        [str(Path(sys.executable).with_name("case_validate")), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Conforms: True" in done.stdout
