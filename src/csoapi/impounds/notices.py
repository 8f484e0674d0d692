"""Owner notices (CVC 22852: registered and legal owner) and the post-storage hearing.

A notice is stored as the document that was mailed, with the SHA-256 of its canonical JSON
(keys sorted, no insignificant whitespace, UTF-8: RFC 8785 for the strings and integers a
notice holds); the hash goes with the event, so anyone holding the notice can show it is
the one recorded. The hearing is requested through records within the pack's window,
scheduled by records, and decided by a sergeant who did not direct the storage."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from csoapi.core.clock import CLOCK_SKEW, refuse_implausible, to_utc
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.impounds import notice_pdf
from csoapi.impounds.models import Impound, ImpoundNotice
from csoapi.impounds.rates import rates_from
from csoapi.impounds.schemas import (
    HearingOutcome,
    HearingRequest,
    HearingSchedule,
    NoticeCreate,
    NoticeOutcome,
)
from csoapi.impounds.service import ImpoundBase

WINDOW = "owner_window"
# No hearing is scheduled further ahead than this (a typing error, not a plan).
LONGEST_WAIT = timedelta(days=366)


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


class NoticeService(ImpoundBase):
    # -- notices --------------------------------------------------------------------------
    def notices(self, impound_id: uuid.UUID) -> list[ImpoundNotice]:
        return self.repo.notices_of(self.get(impound_id).id)

    def notice(self, impound_id: uuid.UUID, notice_id: uuid.UUID) -> ImpoundNotice:
        n = self.repo.notice(self.get(impound_id).id, notice_id)
        if n is None:
            raise NotFound("No such notice", code="notice_not_found")
        return n

    def pdf(self, impound_id: uuid.UUID, notice_id: uuid.UUID) -> bytes:
        """The notice as printed: the same bytes as when it was mailed (``pdf_sha256``)."""
        return notice_pdf.render(self.notice(impound_id, notice_id).document)

    def mail(self, impound_id: uuid.UUID, data: NoticeCreate) -> ImpoundNotice:
        change = self.stored(impound_id, None)
        i = change.row
        mailed_at = self.after_tow(i, data.mailed_at, "mailed_at")
        document = self._document(i, data, mailed_at)
        n = ImpoundNotice(
            impound_id=i.id,
            to=data.to,
            method=data.method,
            addressee=data.addressee,
            mailed_at=mailed_at,
            document=document,
            sha256=sha256_of(document),
            pdf_sha256=hashlib.sha256(notice_pdf.render(document)).hexdigest(),
            created_by=self.ctx.actor.id,
        )
        self.repo.add(n)
        extra = {"notice_id": str(n.id), "to": n.to, "sha256": n.sha256, "pdf_sha256": n.pdf_sha256}
        self.moved(change, "impound.notice", "impound.notice_mailed", **extra)
        return n

    def outcome(
        self, impound_id: uuid.UUID, notice_id: uuid.UUID, data: NoticeOutcome
    ) -> ImpoundNotice:
        change = self.changes.begin(impound_id)
        n = self.repo.notice(change.row.id, notice_id)
        if n is None:
            raise NotFound("No such notice", code="notice_not_found")
        if n.outcome is not None:
            raise Conflict(f"The notice was {n.outcome} already", code="notice_outcome_recorded")
        now = utcnow()
        at = refuse_implausible(data.at or now, "at", now)
        if at < n.mailed_at:
            raise Unprocessable("'at' is before the notice was mailed", code="before_mailing")
        n.outcome, n.outcome_at = data.outcome, at
        self.session.add(n)
        self.session.flush()
        extra = {"notice_id": str(n.id), "outcome": n.outcome}
        self.moved(change, "impound.notice_outcome", f"impound.notice_{data.outcome}", **extra)
        return n

    def _document(self, i: Impound, data: NoticeCreate, mailed_at: datetime) -> dict[str, Any]:
        """What the notice says (CVC 22852(b): agency, location, vehicle, authority, purpose,
        and how to ask for a hearing)."""
        pack = self.reckoner(i).pack
        rule = next(r for r in pack.deadlines if r.kind == WINDOW)
        lot = rates_from(self.ctx.settings.impound_rates_file).lot(i.storage_lot)
        return {
            "agency": self.ctx.settings.agency_ori,
            "impound_number": i.number,
            "to": data.to,
            "addressee": data.addressee,
            "method": data.method,
            "mailed_at": mailed_at.isoformat(),
            "vehicle": {
                "plate": i.plate,
                "plate_state": i.plate_state,
                "vin": i.vin,
                "make": i.make,
                "model": i.model,
                "color": i.color,
            },
            "towed_from": i.towed_from,
            "towed_at": i.towed_at.isoformat() if i.towed_at else None,
            "authority": i.authority,
            "reason": i.reason,
            "stored_at": {"lot": i.storage_lot, "address": lot.address, "hours": lot.hours},
            "hearing": {
                "citation": rule.citation,
                "request_within": f"{rule.offset.amount} {rule.offset.unit} of this notice",
                "how": "in person, in writing or by telephone, to the records unit",
            },
        }

    # -- the post-storage hearing ---------------------------------------------------------
    def request_hearing(self, impound_id: uuid.UUID, data: HearingRequest) -> Impound:
        change = self.changes.begin(impound_id)
        i = change.row
        if i.towed_at is None or i.status == "disposed" or i.source != "field":
            raise Conflict(f"A {i.status} impound has no hearing", code="no_hearing")
        if i.hearing_requested_at is not None:
            raise Conflict("A hearing has been requested already", code="hearing_requested")
        at = self.after_tow(i, data.requested_at, "requested_at")
        notices = self.repo.notices_of(i.id)
        _, found = self.reckoner(i).deadlines(i, notices, utcnow())
        window = next((d for d in found if d.kind == WINDOW), None)
        if window is not None and at > window.due_at:
            raise Conflict(
                f"The window to request a hearing closed {window.due_at.isoformat()}",
                code="hearing_window_closed",
                citation=window.citation,
            )
        i.hearing_requested_at, i.hearing_requested_by = at, data.requested_by
        return self.moved(change, "impound.hearing_request", "impound.hearing_requested")

    def schedule(self, impound_id: uuid.UUID, data: HearingSchedule) -> Impound:
        change = self.changes.begin(impound_id)
        i = change.row
        self._undecided(i)
        at = to_utc(data.at)
        if at > utcnow() + LONGEST_WAIT:
            raise Unprocessable(
                f"'at' is more than {LONGEST_WAIT.days} days ahead", code="hearing_too_far"
            )
        if i.hearing_requested_at is not None and at < i.hearing_requested_at:
            raise Unprocessable("'at' is before the request", code="before_request")
        i.hearing_scheduled_at = at
        return self.moved(
            change, "impound.hearing_schedule", "impound.hearing_scheduled", at=at.isoformat()
        )

    def decide(self, impound_id: uuid.UUID, data: HearingOutcome) -> Impound:
        change = self.changes.begin(impound_id)
        i = change.row
        self._undecided(i)
        actor, now = self.ctx.actor, utcnow()
        if i.requested_by is not None and actor.id == i.requested_by:
            raise Conflict(
                "The hearing officer may not be the person who directed the storage",
                code="separation_of_duties",
            )
        if i.hearing_scheduled_at is not None and i.hearing_scheduled_at > now + CLOCK_SKEW:
            raise Conflict("The hearing has not been held yet", code="hearing_not_held")
        i.hearing_scheduled_at = i.hearing_scheduled_at or now
        i.hearing_outcome, i.hearing_reason = data.outcome, data.reason
        i.hearing_decided_by, i.hearing_decided_at = actor.id, now
        return self.moved(
            change, "impound.hearing_outcome", "impound.hearing_decided", outcome=data.outcome
        )

    @staticmethod
    def _undecided(i: Impound) -> None:
        if i.hearing_requested_at is None:
            raise Conflict("No hearing has been requested", code="no_hearing_requested")
        if i.hearing_outcome is not None:
            raise Conflict("The hearing has been decided", code="hearing_decided")
