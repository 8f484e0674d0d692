"""/docs and /redoc in a real headless browser (issue 22): Debian's chromium, installed by
``make contract-tools`` where it can be, loads each page from the app served over HTTP, runs
its JavaScript (Swagger UI, ReDoc) until the page is idle, and the DOM it leaves must show
every operation of the served contract. Chromium's own network log must show that the page
asked nothing of any host but the app's. The browser reaches the app by a name of its own
(``csoapi.test``, mapped to the loopback address), as a user would reach a server: Swagger UI
behaves otherwise on ``localhost`` (its validator badge, fetched from outside, is shown only
for other hosts). Every other name is made unresolvable for the browser
(``--host-resolver-rules``), so nothing leaves the machine whatever the page names.

Where chromium is not installed the test is skipped, loudly, with the reason."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from csoapi.main import create_app
from tests.servers import served_in_thread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SWAGGER_OPERATION = re.compile(r'opblock-summary-method">([A-Z]+)<.*?data-path="([^"]+)"', re.S)
REDOC_OPERATION = re.compile(r'data-section-id="operation/([^"]+)"')
HOST = "csoapi.test"


@pytest.fixture
def browser() -> str:
    if CHROMIUM is None:
        pytest.skip(
            "*** chromium not installed (make contract-tools installs it as root with "
            "apt-get): the /docs browser test is SKIPPED ***"
        )
    return CHROMIUM


@pytest.fixture
def base_url(database, settings):
    with served_in_thread(create_app(settings, engine=database.engine)) as url:
        yield url


def _render(browser: str, base_url: str, page: str, tmp: Path) -> tuple[str, list[str]]:
    """The DOM chromium leaves once the page's scripts are done (virtual time runs only while
    nothing is loading, so a slow machine does not cut the page short), and every URL the
    page itself requested, read off chromium's network log."""
    netlog = tmp / "netlog.json"
    url = f"http://{HOST}:{urlsplit(base_url).port}{page}"
    run = subprocess.run(  # noqa: S603 - the system browser on our own page
        [
            browser,
            "--headless",
            "--no-sandbox",  # root in a container has no user namespace to sandbox with
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--disable-features=AutofillServerCommunication,OptimizationHints,Translate",
            f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP * ~NOTFOUND",
            f"--user-data-dir={tmp / 'profile'}",
            f"--log-net-log={netlog}",
            "--virtual-time-budget=60000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout, _page_requests(json.loads(netlog.read_text()), url)


def _page_requests(log: dict, page: str) -> list[str]:
    """The URLs the page asked for: its own navigation, and every request the page started
    (its origin the initiator). Chromium's own traffic (component updates, sign-in and
    autofill probes) has no page initiator, and the resolver rules keep it off the network."""
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    origin = f"{urlsplit(page).scheme}://{urlsplit(page).netloc}"
    found = []
    for event in log["events"]:
        params = event.get("params", {})
        if event["type"] != start:
            continue
        if params.get("initiator") == origin or (
            params.get("request_type") == "main frame" and params.get("url") == page
        ):
            found.append(params["url"])
    return found


def _operations(contract: dict) -> list[tuple[str, str, str]]:
    """(METHOD, path or webhook name, operationId) of every operation, webhooks included."""
    return sorted(
        (method.upper(), name, op["operationId"])
        for section in ("paths", "webhooks")
        for name, item in contract.get(section, {}).items()
        for method, op in item.items()
        if method in METHODS
    )


def _assert_only_the_app(requests: list[str], base_url: str, *wanted: str) -> None:
    app = f"{HOST}:{urlsplit(base_url).port}"
    outside = [u for u in requests if urlsplit(u).netloc != app]
    assert outside == [], outside
    paths = {urlsplit(u).path for u in requests}
    for path in wanted:  # the capture is real: the page and the scripts' own fetches are in it
        assert path in paths, (path, sorted(paths))


def test_swagger_ui_renders_every_operation_from_the_app_alone(browser, base_url, tmp_path):
    contract = httpx.get(f"{base_url}/openapi.json", timeout=60).json()
    dom, requests = _render(browser, base_url, "/docs", tmp_path)
    rendered = sorted(SWAGGER_OPERATION.findall(dom))
    assert rendered == sorted((m, name) for m, name, _ in _operations(contract))
    assert "Who the bearer token belongs to" in dom  # a summary, as written in its route
    _assert_only_the_app(requests, base_url, "/docs", "/openapi.json")
    assert any(u.endswith(".js") for u in requests), requests


def test_redoc_renders_every_operation_from_the_app_alone(browser, base_url, tmp_path):
    contract = httpx.get(f"{base_url}/openapi.json", timeout=60).json()
    dom, requests = _render(browser, base_url, "/redoc", tmp_path)
    assert set(REDOC_OPERATION.findall(dom)) == {op for _, _, op in _operations(contract)}
    _assert_only_the_app(requests, base_url, "/redoc", "/openapi.json")
