"""Disposition of an item: requested, approved by another person (evidence:approve), then
executed by the property room (evidence:dispose), who records who received it, who saw it
destroyed, and for high-risk items the second person present (IAPE: no one person handles a
transaction from beginning to end). Checked-out or held items are not disposed of, and found
property only after its holding period (unless its owner takes it back): each refusal a 409
listing every condition unmet."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, NotFound
from csoapi.core.models import utcnow
from csoapi.core.mutation import Change, Changes, Entity, Event
from csoapi.evidence import custody
from csoapi.evidence.models import EvidenceDisposition, EvidenceItem
from csoapi.evidence.repository import DispositionRepository, ItemRepository
from csoapi.evidence.schemas import DispositionExecute, DispositionRequest
from csoapi.evidence.service import ITEM
from csoapi.holds.service import Subject, blocking_conditions
from csoapi.users.repository import UserRepository

HOLD_KIND = "evidence"
FINAL = {"return_to_owner": "released", "destroy": "destroyed", "auction": "auctioned"}
OPEN = ("requested", "approved")


def _payload(d: EvidenceDisposition) -> dict[str, Any]:
    return {"id": str(d.id), "item_id": str(d.item_id), "type": d.type, "status": d.status}


DISPOSITION: Entity[EvidenceDisposition] = Entity(
    "evidence_disposition", read_scope="evidence:read", payload=_payload
)


def _lock(session: Session, _ctx: RequestContext, item_id: uuid.UUID, for_update: bool):
    return ItemRepository(session).get_or_404(item_id, for_update=for_update)


def _refuses_hold(item: EvidenceItem) -> str | None:
    if item.status in FINAL.values():
        return f"The item is {item.status}: there is nothing left to hold"
    return None


# Evidence items in the one hold mechanism (contract section 6a): holds block disposal.
EVIDENCE_HOLDS = Subject(HOLD_KIND, "evidence:read", _lock, _refuses_hold)


class DispositionService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.items = ItemRepository(session)
        self.repo = DispositionRepository(session)
        self.changes = Changes(
            session, ctx, ITEM, lock=lambda key: self.items.get_or_404(key, for_update=True)
        )

    def of_item(self, item_id: uuid.UUID) -> list[EvidenceDisposition]:
        item = self.items.get_or_404(item_id)
        return self.repo.of_item(item.id)

    def throughput(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Items taken in and disposed of in [start, end) (an empty window counts none):
        IAPE's discipline is to dispose of at least as many as come in."""
        intake, disposed = self.repo.counts(start, end)
        audit.record_list(
            self.session,
            self.ctx,
            "evidence.throughput",
            entity_type="evidence_item",
            filters={"from": start, "to": end},
            count=1,
        )
        return {
            "from": start,
            "to": end,
            "intake": intake,
            "dispositions": disposed,
            "disposition_to_intake": round(disposed / intake, 4) if intake else None,
            "definition": "Items whose disposition was executed in the window, divided by items "
            "taken in during it (null when none were taken in); a ratio of 1 or more keeps "
            "the property room from growing (IAPE)",
        }

    # -- conditions -------------------------------------------------------------------------
    def _blocks(self, item: EvidenceItem, kind: str) -> list[dict[str, Any]]:
        """What stands in the way of disposing of ``item`` by ``kind`` now."""
        out: list[dict[str, Any]] = []
        if item.status not in ("in_custody", "checked_out"):
            out.append({"code": "already_disposed", "detail": f"The item is {item.status}"})
        if item.status == "checked_out":
            out.append(
                {"code": "checked_out", "detail": "The item is checked out; check it in first"}
            )
        today = utcnow().astimezone(self.ctx.settings.tz).date()
        if item.kind == "found_property" and kind != "return_to_owner" and today < item.review_date:
            out.append(
                {
                    "code": "holding_period",
                    "detail": f"Found property is held until {item.review_date.isoformat()} "
                    f"({item.review_rule})",
                }
            )
        out.extend(blocking_conditions(self.session, HOLD_KIND, item.id))
        return out

    def _refuse(self, conditions: list[dict[str, Any]], action: str) -> None:
        if conditions:
            raise Conflict(
                f"The item cannot be {action}", code="disposition_blocked", conditions=conditions
            )

    def _open(self, item: EvidenceItem) -> EvidenceDisposition:
        d = self.repo.open_of(item.id)
        if d is None:
            raise NotFound("The item has no open disposition request", code="no_disposition")
        return d

    # -- the steps --------------------------------------------------------------------------
    def request(self, item_id: uuid.UUID, data: DispositionRequest) -> EvidenceDisposition:
        change = self.changes.begin(item_id)
        item = change.row
        if self.repo.open_of(item.id) is not None:
            raise Conflict("A disposition is already requested", code="disposition_open")
        self._refuse(self._blocks(item, data.type), "disposed of")
        d = EvidenceDisposition(
            item_id=item.id, type=data.type, reason=data.reason, requested_by=self.ctx.actor.id
        )
        self.repo.add(d)
        self._done(change, d, "evidence.disposition_requested")
        return d

    def approve(self, item_id: uuid.UUID, if_match: str | None) -> EvidenceDisposition:
        change = self.changes.begin(item_id, if_match)
        item = change.row
        d = self._open(item)
        if d.status != "requested":
            raise Conflict("The disposition is approved already", code="invalid_transition")
        if d.requested_by == self.ctx.actor.id:
            raise Forbidden(
                "Nobody approves their own disposition request", code="separation_of_duties"
            )
        self._refuse(self._blocks(item, d.type), "approved for disposal")
        d.status, d.approved_by, d.approved_at = "approved", self.ctx.actor.id, utcnow()
        d.touch()
        self._done(change, d, "evidence.disposition_approved")
        return d

    def execute(
        self, item_id: uuid.UUID, data: DispositionExecute, if_match: str | None
    ) -> EvidenceDisposition:
        change = self.changes.begin(item_id, if_match)
        item = change.row
        d = self._open(item)
        conditions = self._blocks(item, d.type) + self._people(item, d, data)
        if d.status != "approved":
            conditions.insert(
                0, {"code": "not_approved", "detail": "Another person must approve it first"}
            )
        self._refuse(conditions, "disposed of")
        at = refuse_implausible(data.at, "at") if data.at is not None else utcnow()
        d.status, d.executed_by, d.executed_at = "executed", self.ctx.actor.id, at
        d.receiver = data.receiver.model_dump() if data.receiver else None
        d.witness_id, d.second_person_id = data.witness, data.second_person
        d.proceeds_cents = data.proceeds_cents
        d.touch()
        custody.append(
            self.session,
            item,
            "disposition",
            actor_id=self.ctx.actor.id,
            at=at,
            to_party=data.receiver.name if data.receiver else None,
            reason=d.reason,
            detail={
                "type": d.type,
                "disposition_id": str(d.id),
                "approved_by": str(d.approved_by),
                "witness_id": str(d.witness_id) if d.witness_id else None,
                "second_person_id": str(d.second_person_id) if d.second_person_id else None,
            },
        )
        item.status = FINAL[d.type]
        item.current_location_id = item.current_holder_id = item.current_party = None
        self._done(change, d, "evidence.disposed", disposed=True)
        return d

    def _people(
        self, item: EvidenceItem, d: EvidenceDisposition, data: DispositionExecute
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        me = self.ctx.actor.id
        if d.type == "return_to_owner" and data.receiver is None:
            out.append(
                {
                    "code": "receiver_required",
                    "detail": "Record who received it and their identification",
                }
            )
        if d.type == "destroy" and not self._other_user(data.witness, me):
            out.append(
                {
                    "code": "witness_required",
                    "detail": "A witness (another user) must see it destroyed",
                }
            )
        if item.high_risk:
            present = {data.witness, data.second_person} - {None, me}
            if not any(self._other_user(p, me) for p in present):
                out.append(
                    {
                        "code": "second_person_required",
                        "detail": "A high-risk item is disposed of with two people present",
                    }
                )
        return out

    def _other_user(self, user_id: uuid.UUID | None, me: uuid.UUID) -> bool:
        if user_id is None or user_id == me:
            return False
        user = UserRepository(self.session).find(user_id)
        return user is not None and user.active

    def _done(
        self,
        change: Change[EvidenceItem],
        d: EvidenceDisposition,
        action: str,
        disposed: bool = False,
    ) -> None:
        extra = {
            "disposition_id": str(d.id),
            "disposition_type": d.type,
            "disposition_status": d.status,
        }
        events = [Event(action, extra=extra)]
        if disposed:
            events.append(Event("evidence.custody_changed", extra={"action": "disposition"}))
        change.done(
            action,
            detail={"disposition_id": str(d.id), "type": d.type},
            events=events,
        )
