"""The one ceremony of every change to a versioned row: lock, If-Match, apply, stamp, record.

A state transition or an edit, in every feature, goes:

    change = self.changes.begin(call_id, if_match, required=True)   # locked, ETag checked
    call = change.row
    ...the rules: check, refuse, set fields...
    return change.done("call.update", detail=..., activity=..., events=[Event(...)])

``begin`` takes the row's lock (``SELECT ... FOR UPDATE`` through the feature's own lookup,
so that a row the caller may not see is the feature's 404) and checks the caller's
``If-Match`` against the version under that lock: two writers holding one ETag can never
both apply. Between ``begin`` and ``done`` the service applies its rules; a refusal raised
there leaves nothing written. ``done`` then, always in this order: bumps ``version`` and
stamps ``updated_at`` (``touch``), writes the feature's activity line when it keeps one,
flushes the row, appends the audit row, and appends each event with the row's payload as
it now stands (so an event carries the new version). A change that turns out to change
nothing (deactivating an inactive account) returns ``change.row`` without ``done``.

The state machines stay data in the features (their transition tables); this module knows
nothing of any feature's states.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.orm import Session

from csoapi.core import audit, events
from csoapi.core.concurrency import check_if_match
from csoapi.core.models import Versioned

if TYPE_CHECKING:
    from csoapi.core.context import RequestContext

M = TypeVar("M", bound=Versioned)


@dataclass(frozen=True, slots=True)
class Entity(Generic[M]):
    """How a feature's rows are named in the audit trail and the event feed: the entity
    type, the scope that reads its events, the payload of an event about a row, and the
    attribute that identifies a row (``id``; a code table's ``code``)."""

    type: str
    read_scope: str | None = None
    payload: Callable[[M], dict[str, Any]] | None = None
    key: str = "id"


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a change. By default about the changed row: its entity's payload with
    ``extra`` added, read with the entity's scope (or ``read_scope``). An event about
    another record of the change (the payment a payment posted) names it and gives its
    whole ``payload``."""

    type: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    read_scope: str | None = None
    entity_type: str | None = None
    entity_id: Any = None
    payload: Mapping[str, Any] | None = None


Log = Callable[..., Any]


class Changes(Generic[M]):
    """A service's changes of one kind of row; built once per service (per request)."""

    def __init__(
        self,
        session: Session,
        ctx: RequestContext,
        entity: Entity[M],
        *,
        lock: Callable[[Any], M],
        log: Log | None = None,
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.entity = entity
        self._lock = lock
        self._log = log

    def begin(self, key: Any, if_match: str | None = None, *, required: bool = False) -> Change[M]:
        """The row ``key``, locked, its version checked against ``if_match`` (428 when
        ``required`` and absent, 412 when stale; absent and not required: no check)."""
        row = self._lock(key)
        check_if_match(if_match, row.version, required=required)
        return Change(self, row)


class Change(Generic[M]):
    __slots__ = ("changes", "row")

    def __init__(self, changes: Changes[M], row: M) -> None:
        self.changes = changes
        self.row = row

    def done(
        self,
        action: str,
        *,
        detail: dict[str, Any] | None = None,
        activity: Mapping[str, Any] | None = None,
        events: Sequence[Event] = (),
        stamp: bool = True,
    ) -> M:
        """Record the applied change: stamp (unless ``stamp`` is False: an append under
        the row's lock, such as a note, that leaves the row as it was), the activity line
        (``activity``: the feature's ``log`` keywords), the audit row ``action`` with
        ``detail``, then ``events`` in order."""
        c, row = self.changes, self.row
        if stamp:
            row.touch()
        if activity is not None:
            if c._log is None:
                raise TypeError(f"{c.entity.type} keeps no activity log")
            c._log(row, **activity)
        c.session.flush()
        audit.record(
            c.session,
            c.ctx,
            action,
            entity_type=c.entity.type,
            entity_id=getattr(row, c.entity.key),
            detail=detail,
        )
        for event in events:
            self._append(event)
        return row

    def _append(self, event: Event) -> None:
        c, row = self.changes, self.row
        payload = event.payload
        if payload is None:
            if c.entity.payload is None:
                raise TypeError(f"{c.entity.type} has no event payload")
            payload = c.entity.payload(row) | dict(event.extra)
        scope = event.read_scope or c.entity.read_scope
        if scope is None:
            raise TypeError(f"no read scope for {event.type}")
        events.append(
            c.session,
            event.type,
            entity_type=event.entity_type or c.entity.type,
            entity_id=event.entity_id
            if event.entity_id is not None
            else getattr(row, c.entity.key),
            read_scope=scope,
            payload=dict(payload),
        )
