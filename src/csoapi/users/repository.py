"""Every query of users."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from csoapi.core.pagination import SortKey, keyset_page
from csoapi.users.models import User

USER_KEYS = (
    SortKey(User.username, "str", lambda u: u.username),
    SortKey(User.id, "uuid", lambda u: u.id),
)


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        stmt = sa.select(User).where(User.id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def by_username(self, username: str, *, for_update: bool = False) -> User | None:
        stmt = sa.select(User).where(User.username == username)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def username_taken(self, username: str) -> bool:
        return self.session.scalar(sa.select(sa.exists().where(User.username == username))) or False

    def count(self) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)

    def page(
        self, *, role: str | None, active: bool | None, limit: int, cursor: str | None
    ) -> tuple[list[User], str | None]:
        stmt = sa.select(User)
        if role is not None:
            stmt = stmt.where(User.role == role)
        if active is not None:
            stmt = stmt.where(User.active == active)
        return keyset_page(
            self.session, stmt, tag="users", keys=USER_KEYS, limit=limit, cursor=cursor
        )
