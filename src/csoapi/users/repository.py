"""Every query of users."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.users.models import DutyShift, User

# pg_advisory_xact_lock key of the administrator roster: any fixed signed 64-bit number no
# other lock of this database uses; derived from a name so that it says what it is.
ADMIN_ROSTER_LOCK = int.from_bytes(
    hashlib.sha256(b"csoapi.admin_roster").digest()[:8], "big", signed=True
)

USER_KEYS = (
    SortKey(User.username, "str", lambda u: u.username),
    SortKey(User.id, "uuid", lambda u: u.id),
)


class UserRepository(Repository[User]):
    model = User
    missing = ("No such user", "user_not_found")
    keys = USER_KEYS
    tag = "users"

    def by_username(self, username: str, *, for_update: bool = False) -> User | None:
        stmt = sa.select(User).where(User.username == username)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def lock_admin_roster(self) -> None:
        """Serialise every "is there another active administrator?" check of the
        installation (PostgreSQL: a transaction-scoped advisory lock, released at commit).

        Row locks on the target alone are not enough: two administrators removing each
        other lock different rows, both see the other still active, and both commit. Taken
        after the target's row lock and before the count, so each check runs after the
        previous one's commit is visible (READ COMMITTED reads a new snapshot per statement)
        and nothing that holds this lock waits for another user's row. SQLite needs nothing:
        every writing transaction holds the database's one write lock (``BEGIN IMMEDIATE``)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(sa.select(sa.func.pg_advisory_xact_lock(ADMIN_ROSTER_LOCK)))

    def other_active_admin_exists(self, user_id: uuid.UUID, admin_role: str) -> bool:
        return bool(
            self.session.scalar(
                sa.select(
                    sa.exists().where(
                        User.role == admin_role, User.active.is_(True), User.id != user_id
                    )
                )
            )
        )

    def username_taken(self, username: str) -> bool:
        return self.session.scalar(sa.select(sa.exists().where(User.username == username))) or False

    def count(self) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)

    def by_badge(self, badge: str) -> list[User]:
        """The active users with this badge number (badges are not unique in the table)."""
        stmt = sa.select(User).where(User.badge_number == badge, User.active.is_(True))
        return list(self.session.scalars(stmt.limit(2)).all())

    def page(
        self,
        *,
        role: str | None,
        active: bool | None,
        limit: int,
        cursor: str | None,
        roles: tuple[str, ...] | None = None,
        on_duty: bool | None = None,
    ) -> tuple[list[User], str | None]:
        stmt = sa.select(User)
        if on_duty is not None:
            on = sa.exists().where(DutyShift.user_id == User.id, DutyShift.ended_at.is_(None))
            stmt = stmt.where(on if on_duty else ~on)
        if role is not None:
            stmt = stmt.where(User.role == role)
        if roles is not None:
            stmt = stmt.where(User.role.in_(roles))
        if active is not None:
            stmt = stmt.where(User.active == active)
        return self.page_of(stmt, limit=limit, cursor=cursor)


class DutyRepository(Repository[DutyShift]):
    model = DutyShift

    def open_shift(self, user_id: uuid.UUID) -> DutyShift | None:
        """The person's shift now (the open-shift index); lock the person's row first."""
        stmt = sa.select(DutyShift).where(
            DutyShift.user_id == user_id, DutyShift.ended_at.is_(None)
        )
        return self.session.scalars(stmt).first()

    def on_duty_since(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
        """When each of these people signed on, for those on duty now: one query a page."""
        if not user_ids:
            return {}
        stmt = sa.select(DutyShift.user_id, DutyShift.started_at).where(
            DutyShift.user_id.in_(user_ids), DutyShift.ended_at.is_(None)
        )
        return {uid: started for uid, started in self.session.execute(stmt)}
