"""Every query of the code tables (one repository, built for the table it reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from csoapi.core.repository import Repository

if TYPE_CHECKING:
    from csoapi.codes.service import CodeTable


class CodeRepository(Repository[Any]):
    def __init__(self, session: Session, table: CodeTable) -> None:
        super().__init__(session)
        self.model = table.model  # type: ignore[misc]
        self.keys = table.keys  # type: ignore[misc]
        self.tag = table.name  # type: ignore[misc]

    def page(
        self, *, active: bool | None, limit: int, cursor: str | None
    ) -> tuple[list[Any], str | None]:
        stmt = sa.select(self.model)
        if active is not None:
            stmt = stmt.where(self.model.active == active)
        return self.page_of(stmt, limit=limit, cursor=cursor)
