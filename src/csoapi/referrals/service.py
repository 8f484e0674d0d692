"""Referrals: a CSO refers a person to a service of the directory, with the person's
consent; the provider's system moves it through its closed loop (SDOHCC Task states, who
may set each in ``states``); the CSO follows up. Every read is audited; every provider read
is also a disclosure on record. Events carry ids and statuses, never the person."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from csoapi.calls.repository import CallRepository
from csoapi.calls.schemas import StatusBody
from csoapi.calls.service import CallService
from csoapi.clients.repository import ClientRepository
from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.directory.repository import DirectoryRepository
from csoapi.referrals import access
from csoapi.referrals.models import (
    Referral,
    ReferralActivity,
    ReferralConsent,
    ReferralFollowUp,
)
from csoapi.referrals.repository import ReferralRepository
from csoapi.referrals.schemas import (
    ConsentIn,
    FollowUpIn,
    HandOff,
    ReferralCreate,
    StatusChange,
)
from csoapi.referrals.states import (
    CLOSED,
    NEEDS_REASON,
    PROVIDER,
    PROVIDER_SETS,
    REQUESTER,
    REQUESTER_SETS,
    Status,
    consent_rules,
)


def _payload(r: Referral) -> dict[str, Any]:
    """An event's payload: ids and the status, nothing about the person."""
    return {
        "id": str(r.id),
        "status": r.status,
        "service_id": str(r.service_id),
        "organization_id": str(r.organization_id),
        "version": r.version,
    }


REFERRED = "REFERRED"  # the disposition of a call cleared by a referral (a seeded code)
# Read by staff holding referrals:read only: no feed reader (CAD, portals, providers) sees
# that a referral exists, or to whom it went.
REFERRAL: Entity[Referral] = Entity("referral", read_scope="referrals:read", payload=_payload)


class ReferralService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = ReferralRepository(session)
        self.directory = DirectoryRepository(session)
        self.now = utcnow()
        self.changes = Changes(
            session, ctx, REFERRAL, lock=lambda k: self.visible(k, for_update=True), log=self._log
        )
        self._org: uuid.UUID | None = None

    # -- who --------------------------------------------------------------------------------
    @property
    def provider(self) -> bool:
        return access.is_provider(self.ctx.actor)

    def provider_org(self) -> uuid.UUID | None:
        if self._org is None:
            client = ClientRepository(self.session).find(self.ctx.actor.id)
            self._org = client.organization_id if client else None
        return self._org

    def consent(self, referral: Referral) -> ReferralConsent | None:
        return self.repo.consents_of([referral.id]).get(referral.id)

    def visible(self, key: uuid.UUID, *, for_update: bool = False) -> Referral:
        """The referral, if this caller may see it; else 404 (a provider is not told that a
        referral sent elsewhere, or no longer consented, exists)."""
        row = self.repo.get_or_404(key, for_update=for_update)
        if self.provider and not access.provider_sees(
            row, self.consent(row), self.provider_org(), self.now
        ):
            raise NotFound(*self.repo.missing[:1], code=self.repo.missing[1])
        return row

    def _log(
        self,
        row: Referral,
        *,
        kind: str,
        frm: str | None,
        to: str | None,
        reason: str | None = None,
    ) -> None:
        actor = self.ctx.actor
        self.repo.log(
            ReferralActivity(
                referral_id=row.id,
                at=self.now,
                kind=kind,
                actor_kind=actor.kind,
                actor_id=str(actor.id),
                from_status=frm,
                to_status=to,
                reason=reason,
            )
        )

    # -- creating ---------------------------------------------------------------------------
    def create(self, data: ReferralCreate) -> Referral:
        service = self.directory.find(data.service_id)
        if service is None:
            raise NotFound("No such service", code="service_not_found")
        if service.status != "active":
            raise Conflict(f"The service is {service.status}", code="service_not_active")
        if data.call_id is not None and CallRepository(self.session).find(data.call_id) is None:
            raise Unprocessable("No such call", code="call_not_found")
        row = Referral(
            status=Status.draft.value,
            service_id=service.id,
            organization_id=service.organization_id,
            call_id=data.call_id,
            needs=[n.value for n in data.needs],
            youth=data.youth,
            person_name=data.person.name,
            person_dob=data.person.date_of_birth,
            person_contact=data.person.contact,
            narrative=data.narrative,
            requested_by=self.ctx.actor.id,
            status_changed_at=self.now,
        )
        self.repo.add(row)
        if data.consent is not None:
            self._capture(row, data.consent)
        self._log(row, kind="created", frm=None, to=row.status)
        if data.status == Status.requested:
            self._send(row, self.consent(row))
        self.repo.flush()
        audit.record(
            self.session,
            self.ctx,
            "referral.create",
            entity_type="referral",
            entity_id=row.id,
            detail={"service_id": str(row.service_id), "status": row.status},
        )
        events = [Event("referral.created")]
        if row.status != Status.draft:
            events.append(Event("referral.status_changed", extra={"from": "draft"}))
        for e in events:
            self._event(row, e)
        return row

    def _event(self, row: Referral, event: Event) -> None:
        from csoapi.core import events as outbox

        outbox.append(
            self.session,
            event.type,
            entity_type="referral",
            entity_id=row.id,
            read_scope=REFERRAL.read_scope or "referrals:read",
            payload=_payload(row) | dict(event.extra),
        )

    def _capture(self, row: Referral, c: ConsentIn) -> ReferralConsent:
        rules = consent_rules()
        sensitive = set(row.needs) & rules.written_for_needs
        if sensitive and c.type.value != "written":
            raise Unprocessable(
                f"Needs {', '.join(sorted(sensitive))} require written consent "
                f"(consent rules {rules.version})",
                code="written_consent_required",
            )
        if c.expires_at <= self.now:
            raise Unprocessable("The consent has expired already", code="consent_expired")
        consent = ReferralConsent(
            referral_id=row.id,
            type=c.type.value,
            purpose=c.purpose,
            recipients=[str(r) for r in dict.fromkeys(c.recipients)],
            data_shared=sorted(set(c.data_shared)),
            at=c.at,
            expires_at=c.expires_at,
            captured_by=self.ctx.actor.id,
        )
        self.repo.add_any(consent)
        return consent

    def _send(self, row: Referral, consent: ReferralConsent | None) -> None:
        if not access.consent_valid(consent, row.organization_id, self.now):
            raise Conflict(
                "Sending to the provider needs the person's consent naming its organization, "
                "in force (not expired, not revoked)",
                code="consent_required",
            )
        self._log(row, kind="status_changed", frm=row.status, to=Status.requested.value)
        row.status = Status.requested.value
        row.requested_at = row.requested_at or self.now
        row.status_changed_at = self.now

    # -- the warm hand-off from a call -----------------------------------------------------
    def hand_off(self, call_id: uuid.UUID, data: HandOff) -> tuple[Any, list[Referral]]:
        """Clear the call with disposition REFERRED and link its referrals, in one change:
        the ones named (not linked to another call) and the one made now."""
        call = CallService(self.session, self.ctx).change_status(
            call_id,
            StatusBody(
                status="cleared",
                disposition=REFERRED,
                at=data.at,
                reason="Warm hand-off to a service",
            ),
            None,
        )
        new = data.referral
        if not data.referral_ids and new is None:
            raise Unprocessable("Name referrals or make one", code="no_referrals")
        if new is not None and new.call_id not in (None, call_id):
            raise Unprocessable("The new referral names another call", code="call_mismatch")
        linked = [self._link(key, call.id) for key in dict.fromkeys(data.referral_ids)]
        if new is not None:
            linked.append(self.create(new.model_copy(update={"call_id": call.id})))
        return call, linked

    def _link(self, key: uuid.UUID, call_id: uuid.UUID) -> Referral:
        change = self.changes.begin(key)
        if change.row.call_id not in (None, call_id):
            raise Conflict("The referral names another call", code="referral_linked_elsewhere")
        change.row.call_id = call_id
        return change.done("referral.link_call", detail={"call_id": str(call_id)})

    # -- the closed loop --------------------------------------------------------------------
    def change_status(self, key: uuid.UUID, data: StatusChange, if_match: str | None) -> Referral:
        actor = self.ctx.actor
        access.require_any(actor, access.STAFF_WRITE, access.PROVIDER)
        change = self.changes.begin(key, if_match)
        row, target = change.row, data.status
        current = Status(row.status)
        provider = self.provider
        if target in (REQUESTER_SETS if provider else PROVIDER_SETS):
            who = "the requester" if provider else "the receiving provider"
            raise Forbidden(f"Only {who} sets a referral {target.value}", code="status_not_yours")
        allowed = (PROVIDER if provider else REQUESTER).get(current, frozenset())
        if target not in allowed:
            raise InvalidTransition(
                f"A referral {current.value} cannot become {target.value}",
                code="invalid_transition",
                allowed=sorted(s.value for s in allowed),
            )
        self._check_close(target, data)
        if target == Status.requested:
            self._send(row, self.consent(row))
        else:
            self._log(
                row,
                kind="status_changed",
                frm=row.status,
                to=target.value,
                reason=data.status_reason,
            )
            row.status = target.value
            row.status_changed_at = self.now
        row.status_reason = data.status_reason
        row.outcome = data.outcome.value if data.outcome else None
        row.need_met = data.need_met.value if data.need_met else None
        if provider and row.acknowledged_at is None:
            row.acknowledged_at = self.now
        if target in CLOSED:
            row.closed_at = self.now
        return change.done(
            "referral.status",
            detail={"from": current.value, "to": target.value},
            events=[Event("referral.status_changed", extra={"from": current.value})],
        )

    @staticmethod
    def _check_close(target: Status, data: StatusChange) -> None:
        if target in NEEDS_REASON and not data.status_reason:
            raise Unprocessable(
                f"A referral {target.value} needs a status_reason", code="status_reason_required"
            )
        if target == Status.completed and (data.outcome is None or data.need_met is None):
            raise Unprocessable(
                "A completed referral needs its outcome and need_met", code="outcome_required"
            )
        if target not in CLOSED and (data.outcome is not None or data.need_met is not None):
            raise Unprocessable(
                "outcome and need_met are for a referral being closed", code="outcome_not_closing"
            )

    # -- consent ----------------------------------------------------------------------------
    def give_consent(self, key: uuid.UUID, data: ConsentIn, if_match: str | None) -> Referral:
        change = self.changes.begin(key, if_match)
        if change.row.status in CLOSED:
            raise Conflict("The referral is closed", code="referral_closed")
        consent = self._capture(change.row, data)
        return change.done(
            "referral.consent_given",
            detail={
                "consent_id": str(consent.id),
                "type": consent.type,
                "recipients": consent.recipients,
                "expires_at": consent.expires_at.isoformat(),
            },
        )

    def revoke_consent(self, key: uuid.UUID, reason: str | None, if_match: str | None) -> Referral:
        change = self.changes.begin(key, if_match)
        consent = self.consent(change.row)
        if consent is None or consent.revoked_at is not None:
            raise Conflict("The referral has no consent in force to revoke", code="no_consent")
        consent.revoked_at = self.now
        consent.revoked_by = self.ctx.actor.id
        consent.revoke_reason = reason
        self._log(change.row, kind="consent_revoked", frm=None, to=None)
        return change.done(
            "referral.consent_revoked",
            detail={"consent_id": str(consent.id)},
            events=[Event("referral.consent_revoked")],
        )

    # -- follow-ups and purge ---------------------------------------------------------------
    def follow_up(self, key: uuid.UUID, data: FollowUpIn) -> Referral:
        change = self.changes.begin(key)
        self.repo.add_any(
            ReferralFollowUp(
                referral_id=change.row.id,
                due_at=data.due_at,
                outcome=data.outcome.value if data.outcome else None,
                notes=data.notes,
                created_by=self.ctx.actor.id,
            )
        )
        detail = {"due_at": data.due_at.isoformat(), "outcome": data.outcome}
        return change.done("referral.follow_up", detail=audit.given(detail), stamp=False)

    def purge(self, key: uuid.UUID, reason: str, if_match: str | None) -> Referral:
        if self.ctx.actor.role != "sergeant":
            raise Forbidden("Only a sergeant purges a person's data", code="sergeant_only")
        change = self.changes.begin(key, if_match)
        row = change.row
        if row.status not in CLOSED:
            raise Conflict("Only a closed referral is purged", code="referral_not_closed")
        if row.purged_at is not None:
            raise Conflict("This referral was purged already", code="referral_purged")
        row.person_name = row.person_dob = row.person_contact = row.narrative = None
        row.purged_at, row.purged_by = self.now, self.ctx.actor.id
        self.repo.clear_follow_up_notes(row.id)
        self._log(row, kind="purged", frm=None, to=None, reason=reason)
        return change.done("referral.purge", detail={"reason_given": True})
