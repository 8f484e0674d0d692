"""Reading the audit trail (the one writer is ``core.audit``): a search is on the trail too."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.audit import AuditEvent
from csoapi.core.context import RequestContext


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor_id: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    outcome: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


class AuditService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx

    def search(
        self, query: AuditQuery, *, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        """The trail, newest first. Reading it is on the trail too, written after the search
        so that it is not in its own answer."""
        rows, nxt = audit.search(self.session, **asdict(query), limit=limit, cursor=cursor)
        given: dict[str, Any] = asdict(query)
        given["from"], given["to"] = given.pop("at_from"), given.pop("at_to")
        audit.record_list(
            self.session,
            self.ctx,
            "audit.list",
            entity_type="audit",
            filters=given | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt
