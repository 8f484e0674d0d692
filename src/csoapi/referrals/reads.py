"""Reads of referrals, every one on record: a staff read is an audit row; a provider's read
is an audit row and a disclosure (what was shown, under which consent)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from csoapi.core import audit
from csoapi.referrals import access, fhir, views
from csoapi.referrals.models import Referral, ReferralDisclosure
from csoapi.referrals.schemas import DisclosureRead, ProviderReferralRead, ReferralRead
from csoapi.referrals.service import ReferralService
from csoapi.referrals.states import CLOSED, SENT, Status

OPEN = [s.value for s in Status if s not in CLOSED]


class ReferralReads(ReferralService):
    @property
    def stale_days(self) -> int:
        return self.ctx.settings.referral_stale_days

    def staff(self, rows: Sequence[Referral]) -> list[ReferralRead]:
        ids = [r.id for r in rows]
        consents, follow_ups = self.repo.consents_of(ids), self.repo.follow_ups_of(ids)
        return [
            views.staff_read(
                r, consents.get(r.id), follow_ups.get(r.id, []), self.now, self.stale_days
            )
            for r in rows
        ]

    def _disclose(self, rows: Sequence[Referral], action: str) -> list[ProviderReferralRead]:
        consents = self.repo.consents_of([r.id for r in rows])
        org = self.provider_org()
        shown = [r for r in rows if access.provider_sees(r, consents.get(r.id), org, self.now)]
        self.repo.disclose(
            [
                ReferralDisclosure(
                    referral_id=r.id,
                    at=self.now,
                    client_id=self.ctx.actor.id,
                    organization_id=r.organization_id,
                    consent_id=consents[r.id].id,
                    fields=views.shared_fields(consents[r.id]),
                    request_id=self.ctx.request_id,
                    detail={"action": action},
                )
                for r in shown
            ]
        )
        return [views.provider_read(r, consents[r.id]) for r in shown]

    def read(self, row: Referral) -> ReferralRead | ProviderReferralRead:
        """One referral as this caller may see it, the read on record."""
        audit.record(
            self.session, self.ctx, "referral.read", entity_type="referral", entity_id=row.id
        )
        if self.provider:
            return self._disclose([row], "read")[0]
        return self.staff([row])[0]

    def get(self, key: uuid.UUID) -> ReferralRead | ProviderReferralRead:
        access.require_any(self.ctx.actor, access.STAFF_READ, access.PROVIDER)
        return self.read(self.visible(key))

    def after_change(self, row: Referral) -> ReferralRead | ProviderReferralRead:
        """The changed referral as its changer may see it (not a new read on record)."""
        if self.provider:
            consent = self.consent(row)
            assert consent is not None  # visible() held it under lock
            return views.provider_read(row, consent)
        return self.staff([row])[0]

    def page(
        self,
        *,
        status: Status | None,
        call_id: uuid.UUID | None,
        follow_up_due_before: datetime | None,
        stale: bool | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Any], str | None]:
        actor = self.ctx.actor
        access.require_any(actor, access.STAFF_READ, access.PROVIDER)
        statuses = [status.value] if status else None
        if self.provider:
            wanted = [s.value for s in SENT]
            statuses = [s for s in (statuses or wanted) if s in wanted]
        rows, nxt = self.repo.page(
            statuses=statuses,
            call_id=call_id,
            organization_id=self.provider_org() if self.provider else None,
            follow_up_due_before=follow_up_due_before,
            stale_since=self.now - timedelta(days=self.stale_days),
            stale=stale,
            open_statuses=OPEN,
            limit=limit,
            cursor=cursor,
        )
        items: list[Any] = self._disclose(rows, "list") if self.provider else self.staff(rows)
        filters = {
            "status": status,
            "call_id": call_id,
            "stale": stale,
            "limit": limit,
            "follow_up_due_before": follow_up_due_before,
            "cursor": cursor,
        }
        audit.record_list(
            self.session,
            self.ctx,
            "referral.list",
            entity_type="referral",
            filters=filters,
            count=len(items),
        )
        return items, nxt

    def disclosures(
        self, key: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[DisclosureRead], str | None]:
        row = self.visible(key)
        rows, nxt = self.repo.disclosures(row.id, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "referral.disclosures",
            entity_type="referral",
            filters={"referral_id": row.id, "limit": limit},
            count=len(rows),
        )
        return [DisclosureRead.model_validate(d) for d in rows], nxt

    def fhir_bundle(self, key: uuid.UUID) -> dict[str, Any]:
        access.require_any(self.ctx.actor, access.STAFF_READ, access.PROVIDER)
        row = self.visible(key)
        consent = self.consent(row)
        audit.record(
            self.session, self.ctx, "referral.read_fhir", entity_type="referral", entity_id=row.id
        )
        if self.provider:
            assert consent is not None
            self._disclose([row], "fhir")
            return fhir.bundle(row, consent, self.now, shared=set(consent.data_shared))
        return fhir.bundle(row, consent, self.now, shared=None)
