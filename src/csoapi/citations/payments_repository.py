"""Every query of payments: by id, whether one is reversed, and the reconciliation window
(its page, all of it for the CSV export, its totals)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from csoapi.citations.models import Payment
from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository

PAYMENT_KEYS = (
    SortKey(Payment.posted_at, "datetime", lambda p: p.posted_at),
    SortKey(Payment.id, "uuid", lambda p: p.id),
)


@dataclass(frozen=True, slots=True)
class PaymentWindow:
    posted_from: datetime | None
    posted_to: datetime | None


class PaymentRepository(Repository[Payment]):
    model = Payment
    missing = ("No such payment", "payment_not_found")
    keys = PAYMENT_KEYS
    tag = "payments"

    def is_reversed(self, payment_id: uuid.UUID) -> bool:
        return bool(
            self.session.scalar(sa.select(sa.exists().where(Payment.reverses_id == payment_id)))
        )

    def _window(self, w: PaymentWindow, client_id: uuid.UUID | None) -> sa.Select:
        """The payments posted in ``w``; of one client's only, when ``client_id`` is given."""
        stmt = sa.select(Payment)
        if client_id is not None:
            stmt = stmt.where(Payment.client_id == client_id)
        if w.posted_from is not None:
            stmt = stmt.where(Payment.posted_at >= w.posted_from)
        if w.posted_to is not None:
            stmt = stmt.where(Payment.posted_at < w.posted_to)
        return stmt

    def page(
        self, w: PaymentWindow, client_id: uuid.UUID | None, *, limit: int, cursor: str | None
    ) -> tuple[list[Payment], str | None]:
        return self.page_of(self._window(w, client_id), limit=limit, cursor=cursor)

    def all_in(self, w: PaymentWindow, client_id: uuid.UUID | None) -> list[Payment]:
        stmt = self._window(w, client_id).order_by(Payment.posted_at, Payment.id)
        return list(self.session.scalars(stmt).all())

    def totals(self, w: PaymentWindow, client_id: uuid.UUID | None) -> dict[str, tuple[int, int]]:
        """For each kind (payment, reversal) in the window: how many, and their sum."""
        sub = self._window(w, client_id).subquery()
        rows = self.session.execute(
            sa.select(
                sub.c.kind, sa.func.count(), sa.func.coalesce(sa.func.sum(sub.c.amount_cents), 0)
            ).group_by(sub.c.kind)
        ).all()
        return {kind: (int(n), int(total)) for kind, n, total in rows}
