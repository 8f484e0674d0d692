"""User administration: create, change role, deactivate, unlock (admin only, scope
'admin'); and the dispatchable staff: listed for calls:dispatch, signed on and off duty by
themselves or a dispatcher."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from csoapi.auth.repository import AuthRepository
from csoapi.auth.throttle import SignInThrottle
from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Changes, Entity
from csoapi.core.offload import offload
from csoapi.core.passwords import hash_password, weakness
from csoapi.core.scopes import Role
from csoapi.users.models import DutyShift, User
from csoapi.users.repository import DutyRepository, UserRepository
from csoapi.users.schemas import UserCreate, UserUpdate

DISPATCHABLE = (Role.cso.value, Role.sergeant.value)

USER: Entity[User] = Entity("user")  # no events: accounts are not followed


class UserService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = UserRepository(session)
        self.duty = DutyRepository(session)
        self.auth = AuthRepository(session)
        self.changes = Changes(session, ctx, USER, lock=lambda key: self.get(key, for_update=True))

    def create(self, data: UserCreate) -> User:
        if self.repo.username_taken(data.username):
            raise Conflict(f"Username '{data.username}' is taken", code="username_taken")
        _strong_enough(data.password, data.username, data.full_name)
        user = self.repo.add(
            User(
                username=data.username,
                full_name=data.full_name,
                badge_number=data.badge_number,
                role=data.role.value,
                password_hash=hash_password(self.ctx.settings, data.password),
            )
        )
        audit.record(
            self.session,
            self.ctx,
            "user.create",
            entity_type="user",
            entity_id=user.id,
            detail={"role": user.role},
        )
        return user

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User:
        return self.repo.get_or_404(user_id, for_update=for_update)

    def update(self, user_id: uuid.UUID, data: UserUpdate, if_match: str | None) -> User:
        change = self.changes.begin(user_id, if_match, required=True)
        user = change.row
        changes = data.model_dump(exclude_unset=True)
        if "role" in changes and changes["role"] is None:
            changes.pop("role")
        if changes.get("role") is not None and changes["role"] != user.role:
            self._keep_an_admin(user, new_role=changes["role"])
            user.role = Role(changes["role"]).value
            self._end_sessions(user, "role_changed")
            if user.role not in DISPATCHABLE:
                self._off_duty(user, reason="role_changed")
        if "full_name" in changes and changes["full_name"] is not None:
            user.full_name = changes["full_name"]
        if "badge_number" in changes:
            user.badge_number = changes["badge_number"]
        if changes.get("password"):
            _strong_enough(changes["password"], user.username, user.full_name)
            user.password_hash = hash_password(self.ctx.settings, changes["password"])
            self._end_sessions(user, "password_changed")
        fields = sorted(k for k in changes if k != "password") + (
            ["password"] if "password" in changes else []
        )
        return change.done("user.update", detail={"fields": fields})

    def set_active(self, user_id: uuid.UUID, active: bool, if_match: str | None) -> User:
        change = self.changes.begin(user_id, if_match)
        user = change.row
        if user.active == active:
            return user  # nothing to change, nothing to record
        if not active:
            actor = self.ctx.principal
            if actor is not None and actor.is_user and actor.id == user.id:
                raise Conflict(
                    "You cannot deactivate your own account", code="cannot_deactivate_self"
                )
            self._keep_an_admin(user, new_role=None)
            self._end_sessions(user, "deactivated")
            self._off_duty(user, reason="deactivated")
        user.active = active
        return change.done("user.activate" if active else "user.deactivate")

    def unlock(self, user_id: uuid.UUID) -> User:
        change = self.changes.begin(user_id)
        user = change.row
        user.locked_until, user.failed_logins, user.first_failed_at = None, 0, None
        SignInThrottle(self.session, self.ctx).forget_username(user.username)
        return change.done("user.unlock")

    def page(self, *, role: Role | None, active: bool | None, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(
            role=role.value if role else None, active=active, limit=limit, cursor=cursor
        )
        filters = {"role": role, "active": active, "limit": limit, "cursor": cursor}
        audit.record_list(
            self.session,
            self.ctx,
            "user.list",
            entity_type="user",
            filters=filters,
            count=len(rows),
        )
        return rows, nxt

    def _end_sessions(self, user: User, reason: str) -> None:
        self.auth.revoke_all_for(user_id=user.id, reason=reason, now=utcnow())

    def _keep_an_admin(self, user: User, *, new_role: str | None) -> None:
        """Never leave the agency without an active administrator, also when two of them
        remove each other at once (the roster lock makes such checks take turns)."""
        if user.role != Role.admin or not user.active or new_role == Role.admin:
            return
        self.repo.lock_admin_roster()
        if not self.repo.other_active_admin_exists(user.id, Role.admin.value):
            raise Conflict("This is the last active administrator", code="last_admin")

    def staff(
        self, *, role: Role | None, on_duty: bool | None, limit: int, cursor: str | None
    ) -> tuple[list[User], str | None, dict[uuid.UUID, datetime]]:
        """Active CSOs and sergeants, the people a call can be assigned to (calls:dispatch),
        with when each of those on duty signed on."""
        roles = (role.value,) if role else DISPATCHABLE
        if not set(roles) <= set(DISPATCHABLE):
            return [], None, {}
        rows, nxt = self.repo.page(
            role=None, active=True, limit=limit, cursor=cursor, roles=roles, on_duty=on_duty
        )
        audit.record_list(
            self.session,
            self.ctx,
            "user.staff_list",
            entity_type="user",
            filters={"role": role, "on_duty": on_duty, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt, self.duty.on_duty_since([u.id for u in rows])

    def set_duty(self, user_id: uuid.UUID, on_duty: bool) -> tuple[User, datetime | None]:
        """Sign an active CSO or sergeant on or off duty: the person themself, or a
        dispatcher (calls:dispatch: a sergeant, the CAD). Signing on when on duty, or off
        when off, changes nothing. (The person, when on duty, and since when.)"""
        actor = self.ctx.principal
        own = actor is not None and actor.is_user and actor.id == user_id
        if not own and not (actor is not None and actor.has("calls:dispatch")):
            raise Forbidden(
                "Only the person, or a dispatcher (calls:dispatch), signs them on or off duty",
                code="duty_not_yours",
            )
        user = self.repo.get(user_id, for_update=True)  # one change of duty at a time
        if user is None or not user.active or user.role not in DISPATCHABLE:
            raise NotFound("No such member of the dispatchable staff", code="staff_not_found")
        shift = self.duty.open_shift(user.id)
        if on_duty and shift is None:
            shift = self.duty.add(new_row(DutyShift, user_id=user.id, started_at=utcnow()))
            self._duty_recorded("staff.on_duty", user, shift, {})
        elif not on_duty and shift is not None:
            self._off_duty(user, reason=None, shift=shift)
            shift = None
        return user, shift.started_at if shift is not None else None

    def _off_duty(self, user: User, *, reason: str | None, shift: DutyShift | None = None) -> None:
        """End the person's open shift, if any (signed off, deactivated, no longer staff)."""
        shift = shift or self.duty.open_shift(user.id)
        if shift is None:
            return
        shift.ended_at = max(utcnow(), shift.started_at)
        self.session.flush()
        minutes = int((shift.ended_at - shift.started_at).total_seconds() // 60)
        detail = {"minutes": minutes} | ({"reason": reason} if reason else {})
        self._duty_recorded("staff.off_duty", user, shift, detail)

    def _duty_recorded(self, action: str, user: User, shift: DutyShift, detail: dict) -> None:
        audit.record(
            self.session,
            self.ctx,
            action,
            entity_type="user",
            entity_id=user.id,
            detail={"shift": str(shift.id)} | detail,
        )


def _strong_enough(password: str, *known: str) -> None:
    """A new password the account policy refuses (common, guessable, or made of its owner's
    names): 422 password_too_weak. Scoring it is CPU work, off the event loop."""
    reason = offload(weakness, password, *known)
    if reason is not None:
        raise Unprocessable(reason, code="password_too_weak", field="password")
