"""Every query of referrals."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.referrals.models import (
    Referral,
    ReferralActivity,
    ReferralConsent,
    ReferralDisclosure,
    ReferralFollowUp,
)

KEYS = (
    SortKey(Referral.created_at, "datetime", lambda r: r.created_at),
    SortKey(Referral.id, "uuid", lambda r: r.id),
)
DISCLOSURE_KEYS = (SortKey(ReferralDisclosure.id, "int", lambda d: d.id),)


class ReferralRepository(Repository[Referral]):
    model = Referral
    missing = ("No such referral", "referral_not_found")
    keys = KEYS
    tag = "referrals"

    def page(
        self,
        *,
        statuses: Sequence[str] | None,
        call_id: uuid.UUID | None,
        organization_id: uuid.UUID | None,
        follow_up_due_before: datetime | None,
        stale_since: datetime | None,
        stale: bool | None,
        open_statuses: Sequence[str],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Referral], str | None]:
        """Newest first; every filter given applies (AND)."""
        stmt = sa.select(Referral)
        if statuses:
            stmt = stmt.where(Referral.status.in_(list(statuses)))
        if call_id is not None:
            stmt = stmt.where(Referral.call_id == call_id)
        if organization_id is not None:
            stmt = stmt.where(Referral.organization_id == organization_id)
        if follow_up_due_before is not None:
            stmt = stmt.where(
                sa.exists().where(
                    ReferralFollowUp.referral_id == Referral.id,
                    ReferralFollowUp.outcome.is_(None),
                    ReferralFollowUp.due_at < follow_up_due_before,
                )
            )
        if stale is not None and stale_since is not None:
            is_stale = sa.and_(
                Referral.status.in_(list(open_statuses)), Referral.status_changed_at < stale_since
            )
            stmt = stmt.where(is_stale if stale else sa.not_(is_stale))
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)

    def consents_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ReferralConsent]:
        """Each referral's consent in force: the latest given."""
        out: dict[uuid.UUID, ReferralConsent] = {}
        if not ids:
            return out
        stmt = (
            sa.select(ReferralConsent)
            .where(ReferralConsent.referral_id.in_(list(ids)))
            .order_by(ReferralConsent.at, ReferralConsent.id)
        )
        for c in self.session.scalars(stmt):
            out[c.referral_id] = c
        return out

    def follow_ups_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ReferralFollowUp]]:
        out: dict[uuid.UUID, list[ReferralFollowUp]] = defaultdict(list)
        if not ids:
            return out
        stmt = (
            sa.select(ReferralFollowUp)
            .where(ReferralFollowUp.referral_id.in_(list(ids)))
            .order_by(ReferralFollowUp.due_at, ReferralFollowUp.id)
        )
        for f in self.session.scalars(stmt):
            out[f.referral_id].append(f)
        return out

    def log(self, row: ReferralActivity) -> None:
        self.session.add(row)

    def disclose(self, rows: Sequence[ReferralDisclosure]) -> None:
        self.session.add_all(list(rows))
        self.session.flush()

    def disclosures(
        self, referral_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[ReferralDisclosure], str | None]:
        stmt = sa.select(ReferralDisclosure).where(ReferralDisclosure.referral_id == referral_id)
        return self.page_of(
            stmt, limit=limit, cursor=cursor, keys=DISCLOSURE_KEYS, tag="disclosures"
        )

    def activity(self, referral_id: uuid.UUID) -> list[ReferralActivity]:
        stmt = (
            sa.select(ReferralActivity)
            .where(ReferralActivity.referral_id == referral_id)
            .order_by(ReferralActivity.id)
        )
        return list(self.session.scalars(stmt))

    def clear_follow_up_notes(self, referral_id: uuid.UUID) -> None:
        self.session.execute(
            sa.update(ReferralFollowUp)
            .where(ReferralFollowUp.referral_id == referral_id)
            .values(notes=None)
        )

    def add_any(self, row: Any) -> None:
        self.session.add(row)
        self.session.flush()
