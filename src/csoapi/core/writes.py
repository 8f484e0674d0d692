"""Inserts sent together: a transaction's last rows in one round trip.

Writers that append a row (the audit trail, the event outbox, a new record on a hot path)
call ``insert``. It runs at once, unless the caller has opened ``together(session)``: then
the rows wait, and when the block ends they go to the database as one statement (on
PostgreSQL one INSERT carrying the others as data-modifying CTEs; elsewhere one by one, in
order). Meant for transactions that hold a contended lock while they write their last rows
(a gap-free counter row): each round trip saved there is time every other writer stops
waiting (citation issuance measured +15-20%, call intake +30%).

A row may reference another of the same block by foreign key (PostgreSQL checks those when
the whole statement ends), but no value can be read back from one: the CTEs run against one
snapshot, in no set order, and nothing is returned. A table that comes again starts a new
statement, so each table's rows still get their ids (and outbox positions) in the order
they were written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

_PENDING = "csoapi.writes.pending"
_Row = tuple[sa.Insert, Mapping[str, Any]]
_BUILT: dict[tuple[tuple[sa.Insert, tuple[str, ...]], ...], _Built] = {}
_MAX_BUILT = 256


def insert(session: Session, stmt: sa.Insert, params: Mapping[str, Any]) -> None:
    """One row of ``stmt`` (an INSERT built once, run with bound parameters): now, or with
    the rest of the ``together`` block open on this session."""
    pending: list[_Row] | None = session.info.get(_PENDING)
    if pending is None:
        session.connection().execute(stmt, params)
    else:
        pending.append((stmt, params))


@contextmanager
def together(session: Session) -> Iterator[None]:
    """Hold the block's ``insert`` rows and send them together when it ends without an
    error (with an error they are dropped: the transaction is failing anyway). Inside an
    open block this adds to that block."""
    if _PENDING in session.info:
        yield
        return
    pending: list[_Row] = []
    session.info[_PENDING] = pending
    try:
        yield
    finally:
        del session.info[_PENDING]
    _send(session.connection(), pending)


def _send(conn: sa.Connection, rows: list[_Row]) -> None:
    if conn.dialect.name != "postgresql":
        for stmt, params in rows:
            conn.execute(stmt, params)
        return
    for chunk in _chunks(rows):
        if len(chunk) == 1:
            conn.execute(*chunk[0])
            continue
        key = tuple((stmt, tuple(params)) for stmt, params in chunk)
        built = _BUILT.get(key)
        if built is None:
            if len(_BUILT) >= _MAX_BUILT:  # only statements built on the fly could fill it
                _BUILT.clear()
            built = _BUILT[key] = _Built(key, conn.dialect)
        conn.execute(built.stmt, built.params(chunk))


def _chunks(rows: list[_Row]) -> Iterator[list[_Row]]:
    chunk: list[_Row] = []
    tables: set[sa.TableClause] = set()
    for stmt, params in rows:
        if stmt.table in tables:
            yield chunk
            chunk, tables = [], set()
        chunk.append((stmt, params))
        tables.add(stmt.table)
    if chunk:
        yield chunk


class _Built:
    """One INSERT with the chunk's other INSERTs as CTEs; row ``i``'s values bind as
    ``w{i}_{column}``."""

    def __init__(self, key: tuple[tuple[sa.Insert, tuple[str, ...]], ...], dialect: Any) -> None:
        parts = [
            stmt.values({n: sa.bindparam(f"w{i}_{n}", type_=stmt.table.c[n].type) for n in names})
            for i, (stmt, names) in enumerate(key)
        ]
        main = parts[-1]
        for i, part in enumerate(parts[:-1]):
            main = main.add_cte(part.cte(f"w{i}"))
        # SQLAlchemy computes Python-side column defaults only for a statement's own INSERT,
        # not for one inside a CTE: a row must give every such column itself.
        binds = main.compile(dialect=dialect).binds
        unbound = [
            name
            for name, bind in binds.items()
            if not _OURS.match(name) and bind.value is None and bind.callable is None
        ]
        if unbound:
            raise ValueError(f"rows sent together must give these columns: {unbound}")
        self.stmt = main

    @staticmethod
    def params(chunk: list[_Row]) -> dict[str, Any]:
        return {f"w{i}_{n}": v for i, (_, params) in enumerate(chunk) for n, v in params.items()}


_OURS = re.compile(r"^w\d+_")
