"""Every query of the violation schedule."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.violations.models import Violation

KEYS = (
    SortKey(Violation.code, "str", lambda v: v.code),
    SortKey(Violation.effective_from, "date", lambda v: v.effective_from),
)

# Built once: every citation issued runs it, with bound parameters only.
_IN_FORCE = (
    sa.select(Violation)
    .where(
        Violation.code == sa.bindparam("code"),
        Violation.active,
        Violation.effective_from <= sa.bindparam("on"),
    )
    .order_by(Violation.effective_from.desc())
    .limit(1)
)


class ViolationRepository(Repository[Violation]):
    model = Violation
    missing = ("No such violation version", "violation_not_found")
    keys = KEYS
    tag = "violations"

    def in_force(self, code: str, on: date) -> Violation | None:
        """The active version of ``code`` in force on ``on`` (the latest effective by then)."""
        return self.session.scalars(_IN_FORCE, {"code": code, "on": on}).first()

    def version_exists(self, code: str, effective_from: date) -> bool:
        return bool(
            self.session.scalar(
                sa.select(
                    sa.exists().where(
                        Violation.code == code, Violation.effective_from == effective_from
                    )
                )
            )
        )

    def page(
        self, *, code: str | None, as_of: date | None, limit: int, cursor: str | None
    ) -> tuple[list[Violation], str | None]:
        """Versions by code and date; with ``as_of``, only each code's version in force."""
        stmt = sa.select(Violation)
        if code is not None:
            stmt = stmt.where(Violation.code == code)
        if as_of is not None:
            latest = (
                sa.select(Violation.code, sa.func.max(Violation.effective_from).label("eff"))
                .where(Violation.active, Violation.effective_from <= as_of)
                .group_by(Violation.code)
                .subquery()
            )
            stmt = stmt.join(
                latest,
                sa.and_(Violation.code == latest.c.code, Violation.effective_from == latest.c.eff),
            )
        return self.page_of(stmt, limit=limit, cursor=cursor)
