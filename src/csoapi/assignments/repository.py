"""Every query of assignments and the staff on them."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from csoapi.assignments.models import Assignment, AssignmentFleetItem, AssignmentStaff
from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.users.models import User

KEYS = (
    SortKey(Assignment.starts_at, "datetime", lambda a: a.starts_at),
    SortKey(Assignment.id, "uuid", lambda a: a.id),
)


class AssignmentRepository(Repository[Assignment]):
    model = Assignment
    missing = ("No such assignment", "assignment_not_found")
    keys = KEYS
    tag = "assignments"

    def lock_people(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
        """The people, locked in a fixed order: two bookings of one person wait for each
        other, so neither can miss the other's clash."""
        stmt = sa.select(User).where(User.id.in_(sorted(ids))).order_by(User.id).with_for_update()
        return {u.id: u for u in self.session.scalars(stmt)}

    def clashes(
        self, ids: list[uuid.UUID], starts: datetime, ends: datetime, other_than: uuid.UUID | None
    ) -> list[tuple[AssignmentStaff, Assignment]]:
        stmt = (
            sa.select(AssignmentStaff, Assignment)
            .join(Assignment, Assignment.id == AssignmentStaff.assignment_id)
            .where(
                AssignmentStaff.user_id.in_(ids),
                AssignmentStaff.booked,
                AssignmentStaff.starts_at < ends,
                AssignmentStaff.ends_at > starts,
            )
            .order_by(AssignmentStaff.starts_at, Assignment.id)
        )
        if other_than is not None:
            stmt = stmt.where(AssignmentStaff.assignment_id != other_than)
        return [(s, a) for s, a in self.session.execute(stmt).all()]

    def staff_of(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        out: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
        if ids:
            stmt = (
                sa.select(AssignmentStaff.assignment_id, AssignmentStaff.user_id)
                .where(AssignmentStaff.assignment_id.in_(ids))
                .order_by(AssignmentStaff.user_id)
            )
            for aid, uid in self.session.execute(stmt):
                out[aid].append(uid)
        return out

    def set_staff(self, a: Assignment, ids: list[uuid.UUID]) -> None:
        self.session.execute(
            sa.delete(AssignmentStaff).where(AssignmentStaff.assignment_id == a.id)
        )
        booked = a.status in ("planned", "active")
        for uid in ids:
            self.session.add(
                AssignmentStaff(
                    assignment_id=a.id,
                    user_id=uid,
                    starts_at=a.starts_at,
                    ends_at=a.ends_at,
                    booked=booked,
                )
            )
        self.session.flush()

    # -- the fleet items an assignment books -----------------------------------------------
    def item_clashes(
        self, ids: list[uuid.UUID], starts: datetime, ends: datetime, other_than: uuid.UUID | None
    ) -> list[tuple[AssignmentFleetItem, Assignment]]:
        stmt = (
            sa.select(AssignmentFleetItem, Assignment)
            .join(Assignment, Assignment.id == AssignmentFleetItem.assignment_id)
            .where(
                AssignmentFleetItem.item_id.in_(ids),
                AssignmentFleetItem.booked,
                AssignmentFleetItem.starts_at < ends,
                AssignmentFleetItem.ends_at > starts,
            )
            .order_by(AssignmentFleetItem.starts_at, Assignment.id, AssignmentFleetItem.item_id)
        )
        if other_than is not None:
            stmt = stmt.where(AssignmentFleetItem.assignment_id != other_than)
        return [(s, a) for s, a in self.session.execute(stmt).all()]

    def items_of(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        out: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
        if ids:
            stmt = (
                sa.select(AssignmentFleetItem.assignment_id, AssignmentFleetItem.item_id)
                .where(AssignmentFleetItem.assignment_id.in_(ids))
                .order_by(AssignmentFleetItem.item_id)
            )
            for aid, iid in self.session.execute(stmt):
                out[aid].append(iid)
        return out

    def set_items(self, a: Assignment, ids: list[uuid.UUID]) -> None:
        self.session.execute(
            sa.delete(AssignmentFleetItem).where(AssignmentFleetItem.assignment_id == a.id)
        )
        booked = a.status in ("planned", "active")
        for iid in ids:
            self.session.add(
                AssignmentFleetItem(
                    assignment_id=a.id,
                    item_id=iid,
                    starts_at=a.starts_at,
                    ends_at=a.ends_at,
                    booked=booked,
                )
            )
        self.session.flush()

    def page(
        self,
        *,
        window: tuple[datetime, datetime] | None,
        staff: uuid.UUID | None,
        status: str | None,
        kind: str | None,
        limit: int,
        cursor: str | None,
    ):
        stmt = sa.select(Assignment)
        if window is not None:
            stmt = stmt.where(Assignment.starts_at < window[1], Assignment.ends_at > window[0])
        if staff is not None:
            on = sa.select(AssignmentStaff.assignment_id).where(AssignmentStaff.user_id == staff)
            stmt = stmt.where(Assignment.id.in_(on))
        if status is not None:
            stmt = stmt.where(Assignment.status == status)
        if kind is not None:
            stmt = stmt.where(Assignment.kind == kind)
        return self.page_of(stmt, limit=limit, cursor=cursor)
