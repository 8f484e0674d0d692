"""The command line: `csoapi import services FILE`, and provider clients bound to an
organization (`csoapi clients create --kind provider --organization ID`)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from csoapi.cli import app

runner = CliRunner()
ORG_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"


def test_import_services_reports_and_reruns(cli_env, shared_data, tmp_path):
    examples = shared_data / "standards" / "hsds" / "examples"
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    r = runner.invoke(app, ["import", "services", str(examples / "csv")])
    assert r.exit_code == 0, r.output
    assert '"stored": 2' in r.output and "off the Earth" in r.output
    r = runner.invoke(app, ["import", "services", str(examples / "tabular.json")])
    assert r.exit_code == 0 and '"already_present": 2' in r.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": ORG_ID, "name": "x"}]))
    rejects = tmp_path / "rejects.csv"
    r = runner.invoke(app, ["import", "services", str(bad), "--rejects", str(rejects)])
    assert r.exit_code == 2 and "status: HSDS requires it" in r.output  # past the reject rate
    assert "status" in rejects.read_text()
    r = runner.invoke(app, ["import", "services", str(bad), "--max-reject-rate", "1"])
    assert r.exit_code == 0


def test_provider_clients_name_their_organization(cli_env, shared_data):
    examples = shared_data / "standards" / "hsds" / "examples"
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    base = ["clients", "create", "--name", "Counselling system", "--kind", "provider"]
    r = runner.invoke(app, base)
    assert r.exit_code == 1 and "organization_id is required" in r.output
    r = runner.invoke(app, [*base, "--organization", ORG_ID])
    assert r.exit_code == 1 and "No such organization" in r.output
    assert (
        runner.invoke(app, ["import", "services", str(examples / "service_full.json")]).exit_code
        == 0
    )
    r = runner.invoke(app, [*base, "--organization", ORG_ID])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["kind"] == "provider" and out["organization_id"] == ORG_ID
    r = runner.invoke(
        app, ["clients", "create", "--name", "CAD", "--kind", "cad", "--organization", ORG_ID]
    )
    assert r.exit_code == 1
