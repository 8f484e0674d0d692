"""Reads of a referral: the staff's whole record, and the provider's consented view."""

from __future__ import annotations

from datetime import datetime, timedelta

from csoapi.referrals.access import consent_valid
from csoapi.referrals.models import Referral, ReferralConsent, ReferralFollowUp
from csoapi.referrals.schemas import (
    ConsentRead,
    FollowUpRead,
    ProviderReferralRead,
    ReferralPersonRead,
    ReferralRead,
)
from csoapi.referrals.states import CLOSED, Status


def person(r: Referral) -> ReferralPersonRead | None:
    if r.purged_at is not None:
        return None
    return ReferralPersonRead(
        name=r.person_name, date_of_birth=r.person_dob, contact=r.person_contact
    )


def consent_read(c: ReferralConsent, r: Referral, now: datetime) -> ConsentRead:
    return ConsentRead(
        id=c.id,
        type=c.type,
        purpose=c.purpose,
        recipients=c.recipients,  # type: ignore[arg-type]
        data_shared=c.data_shared,
        at=c.at,
        expires_at=c.expires_at,
        captured_by=c.captured_by,
        revoked_at=c.revoked_at,
        valid=consent_valid(c, r.organization_id, now),
    )


def is_stale(r: Referral, now: datetime, days: int) -> bool:
    return r.status not in CLOSED and r.status_changed_at < now - timedelta(days=days)


def staff_read(
    r: Referral,
    consent: ReferralConsent | None,
    follow_ups: list[ReferralFollowUp],
    now: datetime,
    stale_days: int,
) -> ReferralRead:
    return ReferralRead(
        id=r.id,
        status=Status(r.status),
        service_id=r.service_id,
        organization_id=r.organization_id,
        call_id=r.call_id,
        needs=r.needs,
        youth=r.youth,
        person=person(r),
        narrative=r.narrative,
        consent=consent_read(consent, r, now) if consent else None,
        status_reason=r.status_reason,
        outcome=r.outcome,
        need_met=r.need_met,
        requested_by=r.requested_by,
        requested_at=r.requested_at,
        acknowledged_at=r.acknowledged_at,
        status_changed_at=r.status_changed_at,
        closed_at=r.closed_at,
        stale=is_stale(r, now, stale_days),
        purged_at=r.purged_at,
        follow_ups=[FollowUpRead.model_validate(f) for f in follow_ups],
        version=r.version,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def shared_fields(consent: ReferralConsent) -> list[str]:
    return sorted(set(consent.data_shared))


def provider_read(r: Referral, consent: ReferralConsent) -> ProviderReferralRead:
    shared = set(consent.data_shared)
    who = None
    if r.purged_at is None and shared & {"name", "date_of_birth", "contact"}:
        who = ReferralPersonRead(
            name=r.person_name if "name" in shared else None,
            date_of_birth=r.person_dob if "date_of_birth" in shared else None,
            contact=r.person_contact if "contact" in shared else None,
        )
    return ProviderReferralRead(
        id=r.id,
        status=Status(r.status),
        service_id=r.service_id,
        needs=r.needs if "needs" in shared else None,
        person=who,
        narrative=r.narrative if "narrative" in shared else None,
        status_reason=r.status_reason,
        outcome=r.outcome,
        need_met=r.need_met,
        requested_at=r.requested_at,
        consent_expires_at=consent.expires_at,
        version=r.version,
    )
