"""Problem type URIs resolve (issue 22): every problem+json ``type`` is a page this API
serves, for every code the app can emit. The codes are read off the source
(``csoapi.problem_catalogue.scan``) and committed as ``problem_codes.json``; the pages serve
that registry, and ``tests.factories.assert_problem`` checks every code a test meets is in it."""

from __future__ import annotations

import ast
import json

import httpx

from csoapi import problem_catalogue
from csoapi.citations.payments import SETTLED
from csoapi.codes.service import CALL_TYPES, DISPOSITIONS, OFFENSES
from csoapi.core.clock import _CODES
from csoapi.main import create_app
from csoapi.referrals.repository import ReferralRepository
from tests.conftest import make_settings
from tests.factories import assert_problem

REGISTRY = problem_catalogue.load()


def test_the_committed_registry_is_the_source_s():
    """Fails when a code is added, dropped or moved without `make openapi`."""
    assert json.loads(problem_catalogue.render()) == REGISTRY, "run make openapi"


def test_the_registry_holds_the_codes_every_layer_emits():
    for code in (
        "validation_error", "if_match_required", "unauthorized", "invalid_token",
        "insufficient_scope", "not_found", "method_not_allowed", "payload_too_large",
        "request_timeout", "rate_limited", "server_busy", "database_unavailable",
        "internal_error", "conflict", "invalid_transition", "overpayment", "citation_paid",
        "idempotency_key_reused", "release_refused", "unknown_call_type", "time_in_future",
        "referral_not_found", "private_target",
    ):  # fmt: skip
        assert code in REGISTRY, code
    assert REGISTRY["overpayment"]["statuses"] == [422]
    assert REGISTRY["citation_not_found"]["statuses"] == [404]
    assert len(REGISTRY) >= 200


def test_computed_codes_are_what_their_source_computes():
    """``COMPUTED`` names what each computed code can be; each list checked here."""
    computed = problem_catalogue.COMPUTED
    assert computed[("citations/payments.py", "f'citation_{c.state}'")] == [
        f"citation_{s}" for s in SETTLED
    ]
    labels = [t.label.replace(" ", "_") for t in (CALL_TYPES, DISPOSITIONS, OFFENSES)]
    key = ("codes/service.py", "f\"unknown_{table.label.replace(' ', '_')}\"")
    assert sorted(computed[key]) == sorted(f"unknown_{label}" for label in labels)
    assert sorted(computed[("core/clock.py", "_CODES[why]")]) == sorted(_CODES.values())
    assert computed[("referrals/service.py", "self.repo.missing[1]")] == [
        ReferralRepository.missing[1]
    ]
    release = ast.parse((problem_catalogue.PACKAGE / "impounds/release.py").read_text())
    calls = [
        n.args[0].value
        for n in ast.walk(release)
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "_refuse"
    ]
    assert sorted(calls) == sorted(computed[("impounds/release.py", "code")])


def test_a_code_the_scan_cannot_read_fails_it(tmp_path, monkeypatch):
    (tmp_path / "errors.py").write_text("class Conflict(DomainError):\n    status = 409\n")
    (tmp_path / "feature.py").write_text("def f(c):\n    raise Conflict('x', code=c.name)\n")
    monkeypatch.setattr(problem_catalogue, "PACKAGE", tmp_path)
    try:
        problem_catalogue.scan()
    except problem_catalogue.Unreadable as e:
        assert "feature.py:2" in str(e)
    else:
        raise AssertionError("an unreadable code passed the scan")


async def test_every_code_s_page_answers(client):
    for code, entry in REGISTRY.items():
        page = await client.get(f"/problems/{code}")
        assert page.status_code == 200, code
        assert page.headers["content-type"].startswith("text/html")
        assert f"<h1>{code}</h1>" in page.text
        as_json = await client.get(f"/problems/{code}", headers={"Accept": "application/json"})
        assert as_json.status_code == 200, code
        body = as_json.json()
        assert body["code"] == code and body["statuses"] == entry["statuses"]
        assert body["type"] == f"http://testserver/problems/{code}"
        assert body["what_to_do"], code  # every status it comes with has advice
    index = await client.get("/problems", headers={"Accept": "application/json"})
    assert [i["code"] for i in index.json()["items"]] == list(REGISTRY)
    assert (await client.get("/problems")).text.count("<tr>") == len(REGISTRY) + 1


async def test_an_unknown_code_is_a_404_problem(client):
    assert_problem(await client.get("/problems/no_such_code"), 404, "not_found")
    assert_problem(await client.get("/problems/Not-A-Code"), 422, "validation_error")


async def test_a_real_problem_s_type_resolves_to_its_page(client):
    problem = assert_problem(await client.get("/api/v1/calls"), 401)
    assert problem["type"] == f"http://testserver/problems/{problem['code']}"
    page = await client.get(httpx.URL(problem["type"]).path, headers={"Accept": "application/json"})
    assert page.status_code == 200 and page.json()["code"] == problem["code"]
    assert 401 in page.json()["statuses"]


async def test_the_base_is_a_setting():
    settings = make_settings("sqlite://", problem_base_url="https://api.example.gov/problems/")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as c:
        body = (await c.get("/api/v1/nowhere")).json()
    assert body["type"] == "https://api.example.gov/problems/not_found"
