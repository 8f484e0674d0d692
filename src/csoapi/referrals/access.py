"""Who may see a referral, and what: the consent in force, and the two kinds of reader.

Staff readers are the roles holding ``referrals:read`` (CSOs and sergeants). A provider's
system (client kind ``provider``, ``referrals:provider``) is bound to one organization and
sees a referral only when it was sent there (not a draft) and the consent in force names
that organization, has not expired and has not been revoked. Anything else is a 404:
nobody learns that a referral exists by asking for it."""

from __future__ import annotations

import uuid
from datetime import datetime

from csoapi.core.errors import Forbidden
from csoapi.core.security import Principal
from csoapi.referrals.models import Referral, ReferralConsent
from csoapi.referrals.states import SENT

STAFF_READ = "referrals:read"
STAFF_WRITE = "referrals:write"
PROVIDER = "referrals:provider"


def is_provider(p: Principal) -> bool:
    return p.kind == "client" and p.has(PROVIDER)


def require_any(p: Principal, *scopes: str) -> None:
    """403 unless the caller holds one of ``scopes`` (routes shared by staff and
    providers declare none, so this is their scope check)."""
    if not any(p.has(s) for s in scopes):
        raise Forbidden(
            f"This operation needs one of the scope(s): {' '.join(scopes)}",
            code="insufficient_scope",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scopes[0]}"'},
        )


def consent_valid(
    consent: ReferralConsent | None, organization_id: uuid.UUID, now: datetime
) -> bool:
    return (
        consent is not None
        and consent.revoked_at is None
        and consent.at <= now < consent.expires_at
        and str(organization_id) in consent.recipients
    )


def provider_sees(
    referral: Referral, consent: ReferralConsent | None, org: uuid.UUID | None, now: datetime
) -> bool:
    return (
        org is not None
        and referral.organization_id == org
        and referral.status in SENT
        and consent_valid(consent, org, now)
    )
