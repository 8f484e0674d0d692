"""Every query of the transparency log: its entries, its stored subtrees, its heads."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from csoapi.core.repository import Repository
from csoapi.evidence.models import CustodyEvent, CustodyLogEntry, CustodyLogHead, CustodyLogNode

# One integrator at a time (PostgreSQL: a transaction-scoped advisory lock; SQLite holds the
# database write lock for the whole transaction already).
LOG_LOCK_KEY = 0x63757374  # "cust"


class LogRepository(Repository[CustodyLogEntry]):
    model = CustodyLogEntry

    def lock(self) -> None:
        if self.session.connection().dialect.name == "postgresql":
            self.session.execute(sa.select(sa.func.pg_advisory_xact_lock(LOG_LOCK_KEY)))

    def size(self) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(CustodyLogEntry)))

    def pending(self, limit: int) -> list[CustodyEvent]:
        """Custody events not in the log yet, in the order they were recorded."""
        stmt = (
            sa.select(CustodyEvent)
            .outerjoin(CustodyLogEntry, CustodyLogEntry.event_id == CustodyEvent.id)
            .where(CustodyLogEntry.index.is_(None))
            .order_by(CustodyEvent.recorded_at, CustodyEvent.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt).all())

    def node(self, level: int, index: int) -> bytes:
        stmt = sa.select(CustodyLogNode.hash).where(
            CustodyLogNode.level == level, CustodyLogNode.index == index
        )
        value = self.session.scalar(stmt)
        if value is None:  # pragma: no cover - a tree is only read below its size
            raise LookupError(f"no node ({level}, {index})")
        return bytes.fromhex(value)

    def add_nodes(self, nodes: list[tuple[int, int, bytes]]) -> None:
        if nodes:
            self.session.execute(
                sa.insert(CustodyLogNode),
                [{"level": lv, "index": i, "hash": h.hex()} for lv, i, h in nodes],
            )

    def add_entries(self, entries: list[CustodyLogEntry]) -> None:
        self.session.add_all(entries)
        self.session.flush()

    def entry_of(self, item_id: uuid.UUID, seq: int) -> CustodyLogEntry | None:
        stmt = sa.select(CustodyLogEntry).where(
            CustodyLogEntry.item_id == item_id, CustodyLogEntry.seq == seq
        )
        return self.session.scalars(stmt).first()

    def entries_of(self, item_id: uuid.UUID) -> dict[int, CustodyLogEntry]:
        stmt = sa.select(CustodyLogEntry).where(CustodyLogEntry.item_id == item_id)
        return {e.seq: e for e in self.session.scalars(stmt).all()}

    def head(self, tree_size: int) -> CustodyLogHead | None:
        return self.session.get(CustodyLogHead, tree_size)

    def latest_head(self) -> CustodyLogHead | None:
        stmt = sa.select(CustodyLogHead).order_by(CustodyLogHead.tree_size.desc()).limit(1)
        return self.session.scalars(stmt).first()

    def add_head(self, head: CustodyLogHead) -> None:
        self.session.add(head)
        self.session.flush()
