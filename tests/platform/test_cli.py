from __future__ import annotations

import json

from typer.testing import CliRunner

from csoapi.cli import app
from csoapi.core.migrate import upgrade

runner = CliRunner()


def test_migrate_users_clients_and_seed(cli_env):
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    r = runner.invoke(
        app,
        ["users", "create", "--username", "Sgt.Cli", "--role", "sergeant", "--password-stdin"],
        input="a long enough password\n",
    )
    assert r.exit_code == 0, r.output
    user = json.loads(r.output)
    assert user["username"] == "sgt.cli" and user["role"] == "sergeant" and "password" not in user
    r = runner.invoke(app, ["users", "create", "--username", "sgt.cli", "--role", "cso"])
    assert r.exit_code == 1 and "taken" in r.output
    r = runner.invoke(
        app,
        ["users", "create", "--username", "short.pw", "--role", "cso", "--password-stdin"],
        input="short\n",
    )
    assert r.exit_code == 1 and "password" in r.output
    r = runner.invoke(app, ["users", "create", "--username", "gen.pw", "--role", "records"])
    assert r.exit_code == 0 and len(json.loads(r.output)["password"]) >= 12
    r = runner.invoke(app, ["clients", "create", "--name", "Metro CAD", "--kind", "cad"])
    assert r.exit_code == 0, r.output
    created = json.loads(r.output)
    assert created["client_id"].startswith("cad-") and created["client_secret"].startswith("cs_")
    # Users exist already: --if-empty seeds nothing.
    r = runner.invoke(app, ["seed-demo", "--if-empty"])
    assert r.exit_code == 0 and "nothing seeded" in r.output


def test_seed_demo_on_an_empty_database_prints_logins_once(cli_env):
    upgrade(cli_env)
    r = runner.invoke(app, ["seed-demo", "--if-empty"])
    assert r.exit_code == 0, r.output
    assert r.output.count("password ") == 5 and r.output.count("client_secret ") == 2
    r = runner.invoke(app, ["seed-demo", "--if-empty"])
    assert "nothing seeded" in r.output


def test_export_openapi(cli_env, tmp_path):
    out = tmp_path / "contract.json"
    r = runner.invoke(app, ["export-openapi", "--output", str(out)])
    assert r.exit_code == 0
    assert json.loads(out.read_text())["info"]["title"] == "csoapi"


def test_migrate_with_an_app_role_on_sqlite_says_why_not(cli_env):
    r = runner.invoke(app, ["migrate", "--app-role", "csoapi_app"])
    assert r.exit_code == 1 and "PostgreSQL feature" in r.output, r.output
