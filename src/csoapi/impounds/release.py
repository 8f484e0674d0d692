"""Release to the owner and disposal of an unclaimed vehicle: each refused with every unmet
condition at once (409 ``conditions: [{code, detail}]``), decided under the impound's row
lock, so a hold placed or a payment posted meanwhile is either seen or waits.

Release needs: no active hold; the owner verified (name, ID type and number) with proof of
ownership; the fees paid or waived; and, by setting, no overdue citation on the plate (what
a plate owes is the citations feature's one answer, ``citations.owed``). Disposal needs: no
active hold, a valuation (the band picks the rule), the lien step its rule waits for, the
lien period run, and a route the rule allows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from csoapi.citations.balances import Balances
from csoapi.citations.owed import owed
from csoapi.citations.repository import CitationRepository
from csoapi.citations.schemas import CitationStatus
from csoapi.core.clock import refuse_implausible
from csoapi.core.errors import Conflict, InvalidTransition
from csoapi.core.models import utcnow
from csoapi.core.mutation import Change
from csoapi.holds.service import blocking_conditions
from csoapi.impounds.models import Impound
from csoapi.impounds.money import FeeService
from csoapi.impounds.schemas import DisposeBody, ReleaseBody
from csoapi.impounds.service import IMPOUND_HOLDS

OVERDUE = (CitationStatus.overdue, CitationStatus.collections)


def _refuse(code: str, action: str, conditions: list[dict[str, Any]]) -> None:
    if conditions:
        raise Conflict(
            f"The vehicle cannot be {action}: {len(conditions)} condition(s) unmet",
            code=code,
            conditions=conditions,
        )


def _masked(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:]


class ReleaseService(FeeService):
    def _on_lot(self, impound_id: uuid.UUID, if_match: str | None, to: str) -> Change[Impound]:
        change = self.changes.begin(impound_id, if_match)
        i = change.row
        if i.status != "stored":
            raise InvalidTransition(
                f"A {i.status} impound cannot become {to}",
                current_status=i.status,
                allowed=["stored"] if i.status == "requested" else [],
            )
        return change

    # -- release --------------------------------------------------------------------------
    def release(self, impound_id: uuid.UUID, data: ReleaseBody, if_match: str | None) -> Impound:
        change = self._on_lot(impound_id, if_match, "released")
        i, now = change.row, utcnow()
        balance = self.balance(i, now)
        unmet = blocking_conditions(self.session, IMPOUND_HOLDS.kind, i.id)
        unmet += self._unverified(data)
        if balance > 0:
            unmet.append(
                {
                    "code": "fees_unpaid",
                    "detail": f"{balance} cents due",
                    "balance_cents": balance,
                }
            )
        unmet += self._plate_owes(i)
        _refuse("release_refused", "released", unmet)
        actor = self.ctx.actor
        owner = data.owner
        assert owner is not None  # verified above
        i.status, i.released_at, i.released_by = "released", now, actor.id
        i.release = {
            "released_at": now.isoformat(),
            "released_by": actor.name,
            "owner": {
                "name": owner.name,
                "id_type": owner.id_type,
                "id_number": _masked(owner.id_number),
            },
            "proof_of_ownership": data.proof_of_ownership,
            "released_to": data.released_to or owner.name,
            "fees_paid_cents": i.paid_cents,
            "fees_waived": i.hearing_outcome == "invalid",
        }
        return self.moved(change, "impound.release", "impound.released")

    @staticmethod
    def _unverified(data: ReleaseBody) -> list[dict[str, Any]]:
        out = []
        if data.owner is None:
            out.append(
                {"code": "owner_not_verified", "detail": "The owner's name, ID type and number"}
            )
        if data.proof_of_ownership is None:
            out.append(
                {
                    "code": "no_proof_of_ownership",
                    "detail": "Current registration or title",
                }
            )
        return out

    def _plate_owes(self, i: Impound) -> list[dict[str, Any]]:
        if not self.ctx.settings.impound_release_requires_clear_plate or i.plate is None:
            return []
        repo = CitationRepository(self.session)
        owing = owed(
            repo,
            Balances(repo, self.ctx.settings.tz),
            plate=i.plate,
            plate_state=i.plate_state,
            capped=False,
        )
        overdue = [o for o in owing if o.status in OVERDUE]
        if not overdue:
            return []
        cents = sum(o.balance_cents for o in overdue)
        return [
            {
                "code": "plate_has_overdue_citations",
                "detail": f"{len(overdue)} overdue citation(s) on the plate, {cents} cents",
                "citations": [o.citation.number for o in overdue],
            }
        ]

    # -- disposal -------------------------------------------------------------------------
    def dispose(self, impound_id: uuid.UUID, data: DisposeBody, if_match: str | None) -> Impound:
        change = self._on_lot(impound_id, if_match, "disposed")
        i, now = change.row, utcnow()
        at = refuse_implausible(data.at or now, "at", now)
        unmet = blocking_conditions(self.session, IMPOUND_HOLDS.kind, i.id)
        unmet += self._not_eligible(i, at, data.route)
        _refuse("disposal_refused", "disposed", unmet)
        i.status, i.disposed_at, i.disposed_by = "disposed", at, self.ctx.actor.id
        i.disposal_route, i.proceeds_cents = data.route, data.proceeds_cents
        return self.moved(
            change,
            "impound.dispose",
            "impound.disposed",
            route=data.route,
            proceeds_cents=data.proceeds_cents,
        )

    def _not_eligible(self, i: Impound, at: datetime, route: str) -> list[dict[str, Any]]:
        e = self.reckoner(i).disposal(i, self.repo.notices_of(i.id))
        if e is None:
            return [{"code": "not_valued", "detail": "The value band decides the lien path"}]
        out = []
        if e.eligible_at is None:
            out.append({"code": "lien_step_missing", "detail": f"{e.why} ({e.citation})"})
        elif at < e.eligible_at:
            out.append(
                {
                    "code": "lien_period_running",
                    "detail": f"Eligible from {e.eligible_at.isoformat()}: {e.why} ({e.citation})",
                }
            )
        if route not in e.routes:
            out.append(
                {
                    "code": "route_not_allowed",
                    "detail": f"{e.citation} allows {', '.join(e.routes)}",
                }
            )
        return out
