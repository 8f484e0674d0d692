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
from hypothesis.stateful import Bundle
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.stateful.state_machine import StepInput, normalize_name
from schemathesis.specs.openapi.checks import ensure_resource_availability
from schemathesis.specs.openapi.stateful import _step_case_strategy, is_root_allowed, transition

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
# runs as one principal, over the operations it may call: together the first four reach
# every link whose two ends one principal may call. The last reaches the 13 whose ends need
# two (a citation a sergeant issues and records adjudicates, an impound records releases, a
# report records processes): each operation runs as the first of the two who may call it.
STATEFUL_PRINCIPALS = ("sergeant", "records", "admin", "cad", "sergeant+records")
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


def _caller(operation: Any, who: str) -> str | None:
    """Which of the run's principals (``a+b``: a where a may) calls an operation."""
    return next((p for p in who.split("+") if p in callers(operation)), None)


def _linked(api: Any, who: str) -> set[str]:
    """The operations ``who`` may call with ids that are real: those that name no record in
    their path, and those a link reaches from one of these that ``who`` may call. (Others
    could only be called with made-up ids: the stateless run covers them.) A run of two
    starts only where the first principal makes a record that a link hands to the second."""
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
    mine = {label for label, op in ops.items() if _caller(op, who)}
    first = who.split("+")[0]
    handed = {label for label, op in ops.items() if _caller(op, who) not in (None, first)}
    reached = {
        label
        for label in mine
        if not ops[label].path_parameters
        and (first == who or {by_id[t] for t in links[label]} & handed)
    }
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

    # schemathesis starts scenarios only at the creates it judges "reliable" whenever there
    # are any: a create whose body names a code or record made elsewhere (a call's type) is
    # not, so a sergeant's scenarios never began at a call, citation or report. Every create
    # whose answer a link hands on starts them here.
    starts = {
        op.label: _start(mine, op)
        for op in (r.ok() for r in mine.get_all_operations())
        if not op.path_parameters
        and _root(op.label) not in base.root_rules
        and op.label in base._transitions.operations
        and base._transitions.operations[op.label].outgoing
    }

    class Workflow(base):  # type: ignore[misc]
        root_rules = (base.root_rules - {_root(label) for label in nested}) | {
            _root(label) for label in starts
        }
        _root_labels = (base._root_labels - nested) | starts.keys()

        def setup(self) -> None:
            tokens.restore()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            caller = _caller(case.operation, who)
            headers, self.excluded, self.extra = prepared(case, caller, tokens)
            if caller != who.split("+")[0]:
                # What one principal made another may not see: a draft report is a 404 to
                # all but its author (object-level access, tested in tests/reports).
                self.excluded = [*self.excluded, ensure_resource_availability]
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
    for label, rule in starts.items():
        setattr(Workflow, _root(label), rule)
    return Workflow


def _start(api: Any, op: Any) -> Any:
    """A rule that starts a scenario at ``op``, as schemathesis makes its own."""
    modes = api.config.generation_for(operation=op, phase="stateful").modes
    return transition(
        name=_root(op.label),
        target=Bundle("catch_all"),
        precondition=is_root_allowed(op.label),
        input=_step_case_strategy(op, modes, feedback=NO_FEEDBACK).map(StepInput.initial),
    )


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
