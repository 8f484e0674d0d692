"""The small base every feature's repository stands on: a row by key (or 404, locked when
asked), a keyset page, and the two ways to write a new row.

A feature's repository holds every query of that feature, named for what it answers
(``by_external_id``, ``payments_of``), and every device that makes a query cheaper:
statements built once, rows read as plain tuples, inserts sent together. Services call
those methods and hold the rules; they build no statement and touch no connection.

Writing a new row:
- ``add``: through the ORM (``session.add`` and a flush), for a row the request goes on
  to change or read back through the session.
- ``insert``: a prebuilt Core INSERT of every column (``core.writes``), for a row that is
  only read after this (a response): on a hot path the ORM's unit of work would be
  bookkeeping for nothing. The row does not join the session. With ``then``, the rows
  that function writes (an audit row, an event) go with it in one round trip on
  PostgreSQL: for a transaction's last rows, written while it holds a contended lock (a
  gap-free counter), where each round trip saved is time every other writer waits less.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from csoapi.core import writes
from csoapi.core.errors import NotFound
from csoapi.core.pagination import PageFetch, SortKey, encode_cursor, keyset_page

M = TypeVar("M", bound=SQLModel)


@functools.cache
def _prebuilt(model: type[SQLModel]) -> tuple[sa.Insert, tuple[str, ...]]:
    """The INSERT of ``model``'s table, built once, and the columns a row binds: all of
    them but a key the database numbers itself."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    numbered = table.autoincrement_column
    columns = tuple(c.name for c in table.columns if c is not numbered)
    return sa.insert(table), columns


class Repository(Generic[M]):
    """One feature's queries over its main table ``model``.

    Subclasses set ``model``; ``missing`` (the 404's detail and code) when they offer
    ``get_or_404``; ``keys`` and ``tag`` (the keyset and the cursor's tag) when they page."""

    model: ClassVar[type[Any]]
    missing: ClassVar[tuple[str, str]] = ("Not found", "not_found")
    keys: ClassVar[Sequence[SortKey]] = ()
    tag: ClassVar[str] = ""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- reads ----------------------------------------------------------------------------
    def get(self, key: Any, *, for_update: bool = False) -> M | None:
        """The row with primary key ``key``; ``for_update`` locks it until commit (the lock
        every change of the row takes before it looks at its version)."""
        (pk,) = sa.inspect(self.model).primary_key
        stmt = sa.select(self.model).where(pk == key)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def find(self, key: Any) -> M | None:
        """The row with primary key ``key`` through the session's identity map: no round
        trip when this request has it already. Unlocked; for existence checks and reads."""
        return self.session.get(self.model, key)

    def get_or_404(self, key: Any, *, for_update: bool = False) -> M:
        row = self.get(key, for_update=for_update)
        if row is None:
            detail, code = self.missing
            raise NotFound(detail, code=code)
        return row

    def page_of(
        self,
        stmt: sa.Select[Any],
        *,
        limit: int,
        cursor: str | None,
        descending: bool = False,
        fetch: PageFetch | None = None,
        keys: Sequence[SortKey] | None = None,
        tag: str | None = None,
    ) -> tuple[list[Any], str | None]:
        """One page of ``stmt`` in keyset order (``core.pagination.keyset_page``), by this
        repository's ``keys`` unless a listing has its own."""
        return keyset_page(
            self.session,
            stmt,
            tag=tag or self.tag,
            keys=keys or self.keys,
            limit=limit,
            cursor=cursor,
            descending=descending,
            fetch=fetch,
        )

    def cursor_after(self, row: Any) -> str:
        """The cursor that resumes this repository's listing just after ``row`` (for a
        listing that stops inside a page it read)."""
        return encode_cursor(self.tag, self.keys, row)

    # -- writes ---------------------------------------------------------------------------
    def add(self, row: M, *, flush: bool = True) -> M:
        """A new row through the session, flushed (so a constraint it breaks fails here);
        ``flush=False``: written with the session's next flush, in the same statements as
        the changes made to other rows meanwhile."""
        self.session.add(row)
        if flush:
            self.session.flush()
        return row

    def insert(self, *rows: SQLModel, then: Callable[[], None] | None = None) -> None:
        """New ``rows`` as prebuilt INSERTs, in order, not joining the session; with
        ``then``, the rows it writes sent with them (see the module's docstring)."""
        with self.together():
            for row in rows:
                stmt, columns = _prebuilt(type(row))
                writes.insert(self.session, stmt, {n: getattr(row, n) for n in columns})
            if then is not None:
                then()

    def flush(self) -> None:
        """Write the changes made to this session's rows so far (a constraint one breaks
        fails here, not at commit)."""
        self.session.flush()

    @contextmanager
    def together(self) -> Iterator[None]:
        """The rows written inside the block (audit rows, events, rate counts, ``insert``)
        held and sent as one statement when it ends (``core.writes.together``)."""
        with writes.together(self.session):
            yield
