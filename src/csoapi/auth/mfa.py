"""Second factors for people: enrol a TOTP authenticator, confirm it with a first code (which
gives the recovery codes, shown once), check a code at sign-in, and an administrator's reset
for a lost device. Every step is audited; no secret or code is ever logged or audited."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from csoapi.auth import totp
from csoapi.auth.models import TotpFactor
from csoapi.auth.repository import AuthRepository, FactorRepository
from csoapi.auth.schemas import EnrolmentResponse, FactorStatus, RecoveryCodes
from csoapi.core import audit
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.passwords import POLICY, token_digest
from csoapi.users.repository import UserRepository


def second_factor_required(settings: Settings) -> bool:
    """Whether every person must sign in with a second factor: ``CSOAPI_MFA_REQUIRED``, or
    where the account policy requires one (production)."""
    if settings.mfa_required is not None:
        return settings.mfa_required
    return settings.env.value in POLICY.second_factor_required_in


def passes(
    factors: FactorRepository, settings: Settings, factor: TotpFactor, code: str, now: datetime
) -> bool:
    """Whether ``code`` is a current TOTP code not used before, or an unused recovery code
    (spent by this). The factor's row is locked by the caller."""
    secret = totp.unseal(settings.signing_key(), factor.sealed_secret)
    if secret is not None:
        step = totp.matching_step(secret, code, now, factor.last_step)
        if step is not None:
            factor.last_step = step
            return True
    recovery = totp.recovery_form(code)
    return recovery is not None and factors.use_recovery_code(
        factor.user_id, token_digest(recovery), now
    )


class MfaService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.factors = FactorRepository(session)
        self.auth = AuthRepository(session)

    def _person(self) -> uuid.UUID:
        actor = self.ctx.actor
        if not actor.is_user:
            raise Forbidden("Second factors are for people; machine clients hold a secret")
        return actor.id

    def status(self) -> FactorStatus:
        user_id = self._person()
        factor = self.factors.factor(user_id)
        confirmed = factor is not None and factor.confirmed_at is not None
        return FactorStatus(
            enrolled=confirmed,
            pending=factor is not None and not confirmed,
            required=second_factor_required(self.ctx.settings),
            recovery_codes_left=self.factors.unused_recovery_codes(user_id) if confirmed else 0,
        )

    def enrol(self) -> EnrolmentResponse:
        """A new secret for the caller's authenticator app, pending until confirmed; enrolling
        again before then replaces it. Once confirmed, only a reset replaces it."""
        user_id = self._person()
        factor = self.factors.factor(user_id, for_update=True)
        if factor is not None and factor.confirmed_at is not None:
            raise Conflict(
                "A second factor is already enrolled; an administrator resets a lost one",
                code="mfa_already_enrolled",
            )
        secret = totp.new_secret()
        sealed = totp.seal(self.ctx.settings.signing_key(), secret)
        if factor is None:
            self.factors.add(TotpFactor(user_id=user_id, sealed_secret=sealed))
        else:
            factor.sealed_secret, factor.created_at, factor.last_step = sealed, utcnow(), None
        audit.record(self.session, self.ctx, "mfa.enrol", entity_type="user", entity_id=user_id)
        return EnrolmentResponse(
            secret=secret,
            otpauth_uri=totp.provisioning_uri(secret, self.ctx.actor.name),
            digits=POLICY.totp_digits,
            period_seconds=POLICY.totp_period_seconds,
        )

    def confirm(self, code: str) -> RecoveryCodes:
        """The first code from the app confirms the factor and gives the recovery codes (shown
        this once). The caller's other sign-ins end: they were made without it."""
        user_id = self._person()
        factor = self.factors.factor(user_id, for_update=True)
        if factor is None or factor.confirmed_at is not None:
            raise Conflict("No second factor is waiting to be confirmed", code="mfa_not_pending")
        secret = totp.unseal(self.ctx.settings.signing_key(), factor.sealed_secret)
        now = utcnow()
        step = None if secret is None else totp.matching_step(secret, code, now, None)
        if step is None:
            audit.record(self.session, self.ctx, "mfa.confirm", entity_type="user",
                         entity_id=user_id, outcome="failed")  # fmt: skip
            raise Unprocessable(
                "The code does not match: check the app's clock and enter the current code",
                code="invalid_otp",
                field="code",
                persist=True,
            )
        factor.confirmed_at, factor.last_step = now, step
        codes = totp.new_recovery_codes()
        self.factors.replace_recovery_codes(
            user_id, [token_digest(totp.recovery_form(c) or "") for c in codes]
        )
        self.auth.revoke_all_for(user_id=user_id, reason="mfa_enrolled", now=now)
        audit.record(self.session, self.ctx, "mfa.confirm", entity_type="user", entity_id=user_id)
        return RecoveryCodes(recovery_codes=codes)

    def reset(self, user_id: uuid.UUID) -> FactorStatus:
        """An administrator removes a person's factor (a lost device): every sign-in of theirs
        ends, and their next one enrols a new factor. No such person: 404; a person with no
        factor: 409 (the person is there, their state is what refuses)."""
        UserRepository(self.session).get_or_404(user_id)
        if not self.factors.remove(user_id):
            raise Conflict("This person has no second factor", code="mfa_not_enrolled")
        self.auth.revoke_all_for(user_id=user_id, reason="mfa_reset", now=utcnow())
        audit.record(self.session, self.ctx, "mfa.reset", entity_type="user", entity_id=user_id)
        return FactorStatus(
            enrolled=False,
            pending=False,
            required=second_factor_required(self.ctx.settings),
            recovery_codes_left=0,
        )
