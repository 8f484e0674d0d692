"""The citation services are composed, not inherited: each is built from what it needs (the
repositories, the one ``Balances`` helper, the citation lock), so a payment service cannot
issue or void, and an adjudication cannot take a payment."""

from __future__ import annotations

import pytest

from csoapi.citations.adjudication import AdjudicationService
from csoapi.citations.payments import PaymentService
from csoapi.citations.service import CitationService
from csoapi.citations.vehicles import VehicleService
from tests.factories import ctx

SUB_SERVICES = (PaymentService, AdjudicationService, VehicleService)


@pytest.mark.parametrize("service", SUB_SERVICES, ids=lambda s: s.__name__)
def test_a_sub_service_is_not_a_citation_service(service):
    assert not issubclass(service, CitationService)
    for power in ("issue", "void", "read", "page"):
        assert not hasattr(service, power), power
    assert not hasattr(AdjudicationService, "pay") and not hasattr(VehicleService, "pay")


@pytest.mark.parametrize("service", (CitationService, *SUB_SERVICES), ids=lambda s: s.__name__)
def test_each_is_built_per_request_from_session_and_context(service, db, settings):
    svc = service(db, ctx(settings))
    assert (svc.session, svc.ctx.settings) == (db, settings)
    assert svc.balances.today() == svc.balances.today()  # one day for the whole answer
