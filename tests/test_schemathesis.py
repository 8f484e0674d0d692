"""Property-based checks of the whole API against its own OpenAPI document (schemathesis):
no 5xx, responses match their documented schemas, status codes and content types, what the
schema refuses is refused (a body it refuses: 422, never a 2xx, 404, 409 or 412) and what it
accepts is accepted (never a 400 or 422). Each operation runs as every principal that holds
its scopes, so every request reaches the validation of a caller who may send it (one lacking
the scope gets 403 before any validation, tested in test_scopes)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.conftest import PG_SKIP_REASON
from tests.schemathesis_harness import (
    FUZZ,
    REACHED,
    Tokens,
    apps,
    callers,
    prepared,
    report,
)

TOKENS, schema, PG_TOKENS, pg_schema = apps("stateless")


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    report()


@schema.parametrize()
@FUZZ
def test_api_conforms_to_its_contract(case):
    for who in callers(case.operation):
        _conforms(case, who, TOKENS)


@pg_schema.parametrize()
@FUZZ
def test_api_conforms_to_its_contract_on_postgresql(case):
    if PG_SKIP_REASON is not None:
        pytest.skip(PG_SKIP_REASON)
    for who in callers(case.operation):
        _conforms(case, who, PG_TOKENS)


def _conforms(case: Any, who: str, tokens: Tokens) -> None:
    tokens.ready()  # an anonymous caller needs no token, but the app its database
    headers, excluded, extra = prepared(case, who, tokens)
    response = case.call_and_validate(
        headers=headers, excluded_checks=excluded, additional_checks=extra
    )
    if case.path_parameters:
        REACHED.setdefault(f"stateless on {tokens.kind}", Counter())[
            f"generated {response.status_code}"
        ] += 1
