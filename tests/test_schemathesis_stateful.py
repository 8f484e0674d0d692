"""Stateful contract fuzzing: scenarios of requests that follow the contract's OpenAPI links
(each create's 201 to the operations that take the record it made, ``csoapi.openapi_links``),
so that gets, updates, transitions and sub-resources meet real records instead of ids that
name nothing, with every check of the stateless run (``test_schemathesis.py``) and
schemathesis's stateful ones: a record just made is there (not a 404) through its links, one
deleted is gone, a token is needed where the contract says."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import Phase, settings
from schemathesis.generation.stateful.state_machine import normalize_name

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

TOKENS, schema, PG_TOKENS, pg_schema = apps("stateful")


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    report()


# Chains of requests that follow the contract's links (each create's 201 to
# the operations that take the record it made, csoapi.openapi_links), so that gets, updates,
# transitions and sub-resources meet real records instead of ids that name nothing. Each
# runs as one principal, over the operations it may call: together these four reach every
# link whose two ends one principal may call (the rest, such as a portal paying a CSO's
# citation, need two principals and are left to the stateless run and the feature tests).
STATEFUL_PRINCIPALS = ("sergeant", "records", "admin", "cad")
# `make test`: a few short scenarios, the same ones every run; `make fuzz`: ten times the
# steps, new ones each time.
STEPS = int(os.environ.get("CSOAPI_FUZZ_STEPS", "10"))
SCENARIOS = int(os.environ.get("CSOAPI_FUZZ_SCENARIOS", "30"))
STATEFUL = settings(
    FUZZ,
    max_examples=SCENARIOS,
    stateful_step_count=STEPS,
    phases=[Phase.generate],  # a failure is reported as found, not shrunk at length
)


def _linked(api: Any, who: str) -> set[str]:
    """The operations ``who`` may call with ids that are real: those that name no record in
    their path, and those a link reaches from one of these that ``who`` may call. (Others
    could only be called with made-up ids: the stateless run covers them.)"""
    ops = {op.label: op for op in (r.ok() for r in api.get_all_operations())}
    links = {
        label: {
            link["operationId"]
            for response in op.definition.raw.get("responses", {}).values()
            for link in response.get("links", {}).values()
        }
        for label, op in ops.items()
    }
    by_id = {op.definition.raw["operationId"]: label for label, op in ops.items()}
    mine = {label for label, op in ops.items() if who in callers(op)}
    reached = {label for label in mine if not ops[label].path_parameters}
    while True:
        more = {by_id[t] for source in reached for t in links.get(source, ())} & mine - reached
        if not more:
            return reached
        reached |= more


def _workflow(api: Any, who: str, tokens: Tokens) -> type:
    reachable = _linked(api, who)
    mine = api.include(lambda ctx: ctx.operation.label in reachable)
    # Only the contract's own links: the run checks them, not schemathesis's guesses.
    mine.config.phases.stateful.inference.algorithms = []
    reached = REACHED.setdefault(f"stateful as {who} on {tokens.kind}", Counter())

    base = mine.as_state_machine()
    # Scenarios start at the creates that name no record in their path: a nested create
    # started with a made-up parent (a follow-up of no referral) can only answer 404, which
    # the stateless run already does; it is still reached, by its links, with real parents.
    nested = {
        op.label
        for op in (r.ok() for r in mine.get_all_operations())
        if op.path_parameters and _root(op.label) in base.root_rules
    }

    class Workflow(base):  # type: ignore[misc]
        root_rules = base.root_rules - {_root(label) for label in nested}
        _root_labels = base._root_labels - nested

        def setup(self) -> None:
            tokens.restore()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            headers, self.excluded, self.extra = prepared(case, who, tokens)
            return {"headers": headers}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            if case.path_parameters:
                linked = case.path_parameters.keys() <= case._override.path_parameters.keys()
                reached[f"{'linked' if linked else 'generated'} {response.status_code}"] += 1

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(
                response,
                headers=kwargs.get("headers"),
                excluded_checks=self.excluded,
                additional_checks=self.extra,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    for label in nested:
        setattr(Workflow, _root(label), None)  # no longer a rule
    return Workflow


def _root(label: str) -> str:
    """The name of the rule that starts a scenario at an operation (schemathesis's)."""
    return normalize_name(f"RANDOM -> {label}")


def _run_statefully(api: Any, who: str, tokens: Tokens) -> None:
    tokens.kept()
    _workflow(api, who, tokens).run(settings=STATEFUL)
    # The links lead somewhere: some request whose path a link gave reached a real record.
    reached = REACHED[f"stateful as {who} on {tokens.kind}"]
    assert any(k.startswith("linked 2") for k in reached), f"no linked request succeeded: {reached}"


@pytest.mark.parametrize("who", STATEFUL_PRINCIPALS)
def test_linked_requests_conform_to_the_contract(who):
    _run_statefully(schema, who, TOKENS)


@pytest.mark.parametrize("who", STATEFUL_PRINCIPALS)
def test_linked_requests_conform_to_the_contract_on_postgresql(who):
    if PG_SKIP_REASON is not None:
        pytest.skip(PG_SKIP_REASON)
    _run_statefully(pg_schema, who, PG_TOKENS)
