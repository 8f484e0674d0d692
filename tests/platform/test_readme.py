"""The README's demo walk-through runs as pasted (issue 22): a seeded demo agency served by
``csoapi serve`` on a free port, the README's shell block run by bash from the directory of
the database (where ``csoapi-demo.env`` is), every command succeeding."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
CSOAPI = Path(sys.executable).parent / "csoapi"


def _walkthrough(heading: str = "### The demo agency") -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readme_demo_walkthrough_runs_as_pasted(tmp_path):
    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.skip("*** curl or bash not installed: the README walk-through is SKIPPED ***")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSOAPI_")}
    env.update(
        CSOAPI_DATABASE_URL="sqlite:///./csoapi.db",
        CSOAPI_ENV="test",
        CSOAPI_JWT_SECRET="readme-test-" + "s" * 40,
        CSOAPI_PASSWORD_HASH_MEMORY_KIB="1024",
        CSOAPI_ALEMBIC_INI=str(ROOT / "alembic.ini"),
    )

    def run(*args: str) -> None:
        done = subprocess.run(  # noqa: S603
            [str(CSOAPI), *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]

    run("migrate")
    run("seed-demo", "--if-empty")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [str(CSOAPI), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until_serving(port, server) == 200, "the demo server never answered"
        # The demo walk-through, then "every feature, one call each" in the same shell.
        blocks = _walkthrough() + _walkthrough("### Every feature, one call each")
        script = "set -euo pipefail\n" + blocks.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        done = subprocess.run(  # noqa: S603
            ["bash", "-c", script],  # noqa: S607
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert '"username":"cso.nguyen"' in out  # /auth/me
    assert '"amount_cents":500' in out and '"reference":"readme"' in out  # the payment
    assert '"status":"submitted"' in out  # the sergeant's queue
    assert '"instance":' not in out  # no error anywhere (every problem body has one)
    assert out.count('"items":') >= 7, out[-3000:]  # the feature listings answered pages
    assert '"kind":"streetlight"' in out  # the defect report
    assert '"total_cents":' in out and '"storage_lot":"' in out  # a demo tow and its fees
    assert '"on_duty":true' in out  # the staff on duty
    assert '"code":"overpayment"' in out and '"what_to_do":' in out  # a problem's page
