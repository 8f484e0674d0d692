"""One service for every code table: list, read, create, change (If-Match), deactivate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from csoapi.codes.models import CallType, Disposition, Offense
from csoapi.codes.repository import CodeRepository
from csoapi.core import audit
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.mutation import Changes, Entity
from csoapi.core.pagination import SortKey


@dataclass(frozen=True)
class CodeTable:
    name: str  # URL segment and audit entity type
    model: Any
    label: str

    @property
    def keys(self) -> tuple[SortKey, ...]:
        return (SortKey(self.model.code, "str", lambda r: r.code),)


CALL_TYPES = CodeTable("call-types", CallType, "call type")
DISPOSITIONS = CodeTable("dispositions", Disposition, "disposition")
OFFENSES = CodeTable("offenses", Offense, "offense")


class CodeService:
    def __init__(self, session: Session, ctx: RequestContext, table: CodeTable) -> None:
        self.session = session
        self.ctx = ctx
        self.table = table
        self.repo = CodeRepository(session, table)
        self.changes: Changes[Any] = Changes(
            session,
            ctx,
            Entity(table.name, key="code"),
            lock=lambda code: self.get(code, for_update=True),
        )

    def page(self, *, active: bool | None, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(active=active, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            f"code.{self.table.name}.list",
            entity_type=self.table.name,
            filters={"active": active, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    def get(self, code: str, *, for_update: bool = False) -> Any:
        row = self.repo.get(code, for_update=for_update)
        if row is None:
            raise NotFound(f"No {self.table.label} '{code}'", code="code_not_found")
        return row

    def create(self, data: BaseModel) -> Any:
        values = data.model_dump()
        if self.repo.find(values["code"]) is not None:
            raise Conflict(f"The {self.table.label} '{values['code']}' exists", code="code_exists")
        row = self.repo.add(self.table.model(**values))
        audit.record(
            self.session,
            self.ctx,
            f"code.{self.table.name}.create",
            entity_type=self.table.name,
            entity_id=row.code,
        )
        return row

    def update(self, code: str, data: BaseModel, if_match: str | None) -> Any:
        change = self.changes.begin(code, if_match, required=True)
        changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
        for key, value in changes.items():
            setattr(change.row, key, value)
        return change.done(f"code.{self.table.name}.update", detail={"fields": sorted(changes)})


def require_active(session: Session, table: CodeTable, code: str, field: str) -> Any:
    """A code used on a record must exist and be active; else 422 naming the field."""
    row = CodeRepository(session, table).find(code)
    if row is None or not row.active:
        raise Unprocessable(
            f"Unknown or inactive {table.label} '{code}'",
            code=f"unknown_{table.label.replace(' ', '_')}",
            field=field,
        )
    return row
