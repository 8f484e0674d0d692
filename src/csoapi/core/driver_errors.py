"""What a database driver's error means to a client: worth a retry (transient), or a value
the database could not store, or a write the database refused to one table (the audit
trail's). One classifier for both drivers (psycopg, asyncpg) and SQLite."""

from __future__ import annotations

import re

import asyncpg.exceptions
from sqlalchemy.exc import DBAPIError, OperationalError

# SQLSTATEs worth a retry: connection exceptions (08), serialization failure and deadlock
# (40), insufficient resources such as too many connections (53), lock not available
# (55P03), a statement cancelled by statement_timeout (57014), and the server shutting down
# or starting up (57P01-57P03).
TRANSIENT_SQLSTATES = ("08", "40", "53", "55P03", "57014", "57P")


def transient(exc: DBAPIError) -> bool:
    """Worth a retry: lost connection, lock timeout, deadlock, serialization failure, busy."""
    if exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError) and type(exc.orig).__module__.startswith("psycopg"):
        return True
    # asyncpg's errors reach here as SQLAlchemy's generic DBAPIError, with their SQLSTATE.
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(TRANSIENT_SQLSTATES):
        return True
    if not isinstance(exc, OperationalError):
        return False
    message = str(exc.orig).lower()
    return "locked" in message or "busy" in message


# Data exceptions that, once a request has passed input validation, only one of its values
# can cause: too long for its column (22001), out of a numeric type's range (22003). Input
# models bound every field by its column; this keeps one that was missed a 422, not a 500.
STORAGE_SQLSTATES = ("22001", "22003")


def not_storable(exc: BaseException) -> bool:
    """A value of the request too long or too large for its column (a 422, not a 500): the
    server's refusal (22001, 22003), or asyncpg's own before it sends a value its column's
    type cannot hold ("invalid input for query argument $1: 70000 (value out of int16
    range)"), which carries no SQLSTATE."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in STORAGE_SQLSTATES:
        return True
    return refused_before_sending(exc)


def refused_before_sending(exc: DBAPIError) -> bool:
    """asyncpg's own refusal of a value its column's type cannot hold (its message quotes
    the value)."""
    return isinstance(getattr(exc.orig, "__cause__", None), asyncpg.exceptions.DataError)


def _table_named(exc: DBAPIError) -> str | None:
    """The table the database says the error is about (PostgreSQL names it for a broken
    constraint: psycopg's ``diag``, asyncpg's exception behind the adapter's), or None."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return getattr(diag, "table_name", None)
    return getattr(getattr(exc.orig, "__cause__", None), "table_name", None)


def failed_writing(exc: DBAPIError, table: str) -> bool:
    """The statement that failed inserts into ``table`` and the database refused it for a
    reason of its own: a trigger or rule raising, a privilege taken away, a constraint. Not
    a passing fault (``transient``) nor a value of the request (``not_storable``): those
    answer as they always do. A statement that inserts other rows beside it
    (``core.writes.together``: one INSERT with the others as CTEs) counts too, unless the
    database names another table (a unique key of the call written with it stays that
    call's conflict)."""
    if transient(exc) or not_storable(exc):
        return False
    statement = exc.statement or ""
    if not re.search(rf"\bINSERT INTO {re.escape(table)}\b", statement):
        return False
    named = _table_named(exc)
    return named is None or named == table
