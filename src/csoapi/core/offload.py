"""CPU-heavy work off the event loop, from inside a unit of work."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy.util.concurrency import await_only, in_greenlet

T = TypeVar("T")


def offload(fn: Callable[..., T], *args: Any) -> T:
    """Run CPU-heavy ``fn(*args)`` (an Argon2 hash, a CSV rendering) off the event loop.

    Inside a unit on PostgreSQL the work runs in a greenlet on the event loop, where a long
    computation would hold up every other request of the process: there the greenlet hands
    ``fn`` to a worker thread and waits for it without blocking the loop (SQLAlchemy's
    ``await_only``, the same bridge its asyncpg driver takes for each statement). Elsewhere
    (SQLite units, the CLI) the work already runs on a thread of its own: ``fn`` runs here."""
    if in_greenlet():
        return await_only(anyio.to_thread.run_sync(functools.partial(fn, *args)))
    return fn(*args)
