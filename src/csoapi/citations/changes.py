"""How a change to a citation is recorded: its entity in the audit trail and the event feed,
the payload its events carry, and the lock every citation service takes to change one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from csoapi.citations.models import Citation
from csoapi.citations.repository import CitationRepository
from csoapi.core.context import RequestContext
from csoapi.core.mutation import Changes, Entity

EVENT_SCOPE = "citations:lookup"  # the portals follow citations; payloads carry no plate


def payload(c: Citation) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "number": c.number,
        "kind": c.kind,
        "state": c.state,
        "violation_code": c.violation_code,
        "version": c.version,
    }


CITATION: Entity[Citation] = Entity("citation", EVENT_SCOPE, payload)


def citation_changes(
    session: Session, ctx: RequestContext, repo: CitationRepository
) -> Changes[Citation]:
    """Changes of citations, each begun with the citation's row lock (the lock that also
    serializes its payers)."""
    return Changes(session, ctx, CITATION, lock=lambda key: repo.get_or_404(key, for_update=True))
