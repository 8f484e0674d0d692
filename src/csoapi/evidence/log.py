"""The agency-wide transparency log over every custody event (RFC 9162 style), so that a
rewritten history shows even to someone who trusts nothing in our database.

Custody events are appended to items' chains in parallel; the log integrates them, in the
order they were recorded, when a head or proof is asked for (one integrator at a time): each
becomes a leaf whose input is the event's 32-byte hash, and the complete subtrees it finishes
are stored, so a root or proof reads O(log² n) stored hashes. A head is signed with the
evidence key (``evidence.signing``, from the settings, never the database) over the RFC 8785
canonical JSON of ``{"root_hash", "timestamp", "tree_size"}`` and kept as published. Whoever
keeps a head can later check that any event is in it (inclusion proof) and that the log
only grew since (consistency proof): an event rewritten afterwards, even with every hash
recomputed and the tables rebuilt, no longer proves against the head they kept, and a new
head for the same size would carry a different root under the same key."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.evidence import chain, merkle, signing
from csoapi.evidence.log_repository import LogRepository
from csoapi.evidence.models import CustodyEvent, CustodyLogEntry, CustodyLogHead
from csoapi.evidence.repository import ItemRepository

BATCH = 10_000  # events integrated per request at most


def head_document(h: CustodyLogHead) -> dict[str, Any]:
    """What a head's signature covers."""
    return {
        "root_hash": h.root_hash,
        "timestamp": chain.plain(h.timestamp),
        "tree_size": h.tree_size,
    }


def head_view(h: CustodyLogHead) -> dict[str, Any]:
    return head_document(h) | {"signature": h.signature}


def log_mismatch(session: Session, item_id: uuid.UUID, events: list[CustodyEvent]) -> int | None:
    """The first seq whose event no longer has the hash the log took in, or None."""
    logged = LogRepository(session).entries_of(item_id)
    for e in events:
        entry = logged.get(e.seq)
        if entry is not None and (entry.event_id != e.id or entry.event_hash != e.hash):
            return e.seq
    return None


class LogService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = LogRepository(session)
        self._new: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        cached = self._new.get((level, index))
        return cached if cached is not None else self.repo.node(level, index)

    def integrate(self) -> int:
        """Take the events not yet logged into the tree; the tree's size after."""
        self.repo.lock()
        size = self.repo.size()
        pending = self.repo.pending(BATCH)
        entries, nodes = [], []
        for i, event in enumerate(pending, start=size):
            leaf = merkle.leaf_hash(bytes.fromhex(event.hash))
            for level, index, h in merkle.ancestors(i, leaf, self.get):
                self._new[(level, index)] = h
                nodes.append((level, index, h))
            entries.append(
                CustodyLogEntry(
                    index=i,
                    event_id=event.id,
                    item_id=event.item_id,
                    seq=event.seq,
                    event_hash=event.hash,
                )
            )
        self.repo.add_entries(entries)
        self.repo.add_nodes(nodes)
        return size + len(pending)

    def head(self) -> CustodyLogHead:
        """The signed head of the whole log now (the last published one if nothing new)."""
        size = self.integrate()
        latest = self.repo.latest_head()
        if latest is not None and latest.tree_size == size:
            return latest
        h = CustodyLogHead(
            tree_size=size,
            root_hash=merkle.root(self.get, 0, size).hex(),
            timestamp=utcnow(),
            signature="",
        )
        h.signature = signing.sign(self.ctx.settings, head_document(h))
        self.repo.add_head(h)
        audit.record(
            self.session,
            self.ctx,
            "evidence.log.head",
            entity_type="custody_log",
            detail={"tree_size": size, "root_hash": h.root_hash},
        )
        return h

    def _published(self, tree_size: int | None) -> CustodyLogHead:
        if tree_size is None:
            return self.head()
        self.integrate()
        h = self.repo.head(tree_size)
        if h is None:
            raise NotFound(f"No head was published at tree size {tree_size}", code="head_not_found")
        return h

    def inclusion(self, item_id: uuid.UUID, seq: int, tree_size: int | None) -> dict[str, Any]:
        ItemRepository(self.session).get_or_404(item_id)
        h = self._published(tree_size)
        entry = self.repo.entry_of(item_id, seq)
        if entry is None:
            raise NotFound("The item has no custody event with this seq", code="event_not_found")
        if entry.index >= h.tree_size:
            raise Conflict("The event was logged after this head", code="not_in_tree")
        path = merkle.inclusion(self.get, entry.index, 0, h.tree_size)
        return {
            "leaf_index": entry.index,
            "tree_size": h.tree_size,
            "audit_path": [p.hex() for p in path],
            "head": head_view(h),
        }

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        size = self.integrate()
        if first > second:
            raise Unprocessable("'from' is after 'to'", code="bad_tree_sizes", field="from")
        if second > size:
            raise NotFound(
                f"The log has {size} events: no tree of size {second} yet", code="tree_not_found"
            )
        proof = merkle.consistency(self.get, first, second)
        return {"from": first, "to": second, "proof": [p.hex() for p in proof]}

    def key(self) -> dict[str, str]:
        return {
            "algorithm": signing.ALGORITHM,
            "public_key": signing.public_key_b64(self.ctx.settings),
        }
