"""The one bulk writer for imports: PostgreSQL COPY, or a multi-row INSERT elsewhere.

Rows arrive validated (importers check every field before they get here) and are written
in the caller's transaction, so a failed batch leaves nothing behind. COPY skips
SQLAlchemy's per-row parameter processing, so values must already be what the column
stores: aware datetimes for UTC columns, Python objects for JSON columns (serialized here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append ``rows`` (dicts with the same keys) to ``table``."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.insert(table), list(rows))
        return
    columns = list(rows[0].keys())
    as_json = {name for name in columns if isinstance(table.c[name].type, sa.JSON)}
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    driver = session.connection().connection.driver_connection
    assert driver is not None
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    json_at = [i for i, name in enumerate(columns) if name in as_json]
    with driver.cursor() as cur, cur.copy(stmt) as copy:
        for row in rows:
            cells = values(row)
            if json_at:
                cells = list(cells)
                for i in json_at:
                    if cells[i] is not None:
                        cells[i] = json.dumps(cells[i])
            copy.write_row(cells)
