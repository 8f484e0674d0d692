"""Every query of citations: by id, listings, the payments a balance reads, what a plate
(or a number) owes, issuance's insert, and the scofflaw list."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from csoapi.citations.balances import PAYABLE_STATES
from csoapi.citations.models import Citation, Payment
from csoapi.citations.schemas import CitationStatus
from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository

if TYPE_CHECKING:
    from csoapi.citations.balances import PaymentLine

KEYS = (
    SortKey(Citation.issued_at, "datetime", lambda c: c.issued_at),
    SortKey(Citation.id, "uuid", lambda c: c.id),
)


@dataclass(frozen=True, slots=True)
class CitationFilters:
    status: CitationStatus | None = None
    plate: str | None = None
    plate_state: str | None = None
    issued_from: datetime | None = None
    issued_to: datetime | None = None
    issued_by: uuid.UUID | None = None
    min_balance_cents: int | None = None


_CITATIONS = Citation.__table__  # type: ignore[attr-defined]
_PAYMENTS = Payment.__table__  # type: ignore[attr-defined]
# What the balance needs of each payment, as plain rows: balances are read far more often
# than payments are written, and rows skip the ORM's identity-map work.
_PAYMENTS_OF = (
    sa.select(
        _PAYMENTS.c.citation_id, _PAYMENTS.c.kind, _PAYMENTS.c.posted_at, _PAYMENTS.c.amount_cents
    )
    .where(_PAYMENTS.c.citation_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_PAYMENTS.c.posted_at)
)

# The portal's two lookups, built once (the hot path binds parameters, builds nothing). They
# read plain rows, not ORM objects: the balance and the portal view only read attributes, and
# a lookup changes nothing, so identity-map bookkeeping would be work for no one. A row has
# the attribute names of a Citation (the columns the balance, the status and the portal view
# read: _PORTAL_READS), and its payments come joined on.
_PORTAL_READS = (
    "id", "number", "kind", "state", "plate", "plate_state", "location", "issued_at",
    "issued_on", "due_date", "violation_code", "violation_description", "fine_cents",
    "penalty_tiers", "pauses", "clock_from", "adjudication", "reduced_to_cents",
)  # fmt: skip
_PAYABLE = sa.select(*(_CITATIONS.c[name] for name in _PORTAL_READS)).where(
    _CITATIONS.c.kind == "citation",
    # Written into the SQL (the states are our own constants): a list of values would be an
    # "expanding" parameter, re-rendered into the statement on every execution.
    _CITATIONS.c.state.in_([sa.literal_column(f"'{s}'") for s in PAYABLE_STATES]),
)


PORTAL_CAP = 200  # citations a portal lookup shows at most


def _with_payments(found: sa.Select[Any], cap: int | None = PORTAL_CAP) -> sa.Select[Any]:
    """The citations ``found`` (at most ``cap``), each with its payments joined on: one round
    trip instead of two. A citation with n payments comes as n rows (one row, ``pay_kind``
    NULL, with none), in issue order, payments in posting order."""
    found = found.order_by(_CITATIONS.c.issued_at)
    c = (found if cap is None else found.limit(cap)).subquery("c")
    p = _PAYMENTS
    return (
        sa.select(
            c,
            p.c.kind.label("pay_kind"),
            p.c.posted_at.label("pay_posted_at"),
            p.c.amount_cents.label("pay_cents"),
        )
        .select_from(c.outerjoin(p, p.c.citation_id == c.c.id))
        .order_by(c.c.issued_at, c.c.id, p.c.posted_at)
    )


_OF_NUMBER = _PAYABLE.where(_CITATIONS.c.number == sa.bindparam("number"))
_OF_PLATE = _PAYABLE.where(
    _CITATIONS.c.plate == sa.bindparam("plate"),
    _CITATIONS.c.plate_state == sa.bindparam("state"),
)
_BY_NUMBER = _with_payments(_OF_NUMBER)
_BY_PLATE = _with_payments(_OF_PLATE)
_ALL_OF_PLATE = _with_payments(_OF_PLATE, cap=None)


class Paid(NamedTuple):
    """A payment as a balance reads it (a ``PaymentLine``), from a lookup row."""

    kind: str
    posted_at: datetime
    amount_cents: int


def _grouped(rows: Sequence[sa.Row[Any]]) -> list[tuple[sa.Row[Any], list[Paid]]]:
    """Lookup rows back into citations, each with its payments."""
    out: list[tuple[sa.Row[Any], list[Paid]]] = []
    for row in rows:
        if not out or out[-1][0].id != row.id:
            out.append((row, []))
        if row.pay_kind is not None:
            out[-1][1].append(Paid(row.pay_kind, row.pay_posted_at, row.pay_cents))
    return out


class CitationRepository(Repository[Citation]):
    model = Citation
    missing = ("No such citation", "citation_not_found")
    keys = KEYS
    tag = "citations"

    # -- what a balance reads -------------------------------------------------------------
    def payments_of(self, citation_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PaymentLine]]:
        """Each citation's payments and reversals, in posting order, as plain rows."""
        out: dict[uuid.UUID, list[PaymentLine]] = {cid: [] for cid in citation_ids}
        if citation_ids:
            rows = self.session.connection().execute(_PAYMENTS_OF, {"ids": citation_ids})
            for p in rows:
                out[p.citation_id].append(p)
        return out

    def has_payments(self, citation_id: uuid.UUID) -> bool:
        return bool(
            self.session.scalar(sa.select(sa.exists().where(Payment.citation_id == citation_id)))
        )

    def payable_with_payments(
        self,
        *,
        number: str | None = None,
        plate: str | None = None,
        plate_state: str | None = None,
        capped: bool = True,
    ) -> list[tuple[sa.Row[Any], list[Paid]]]:
        """The payable citations with ``number``, or of the plate, in issue order, each with
        its payments: one round trip, the columns ``_PORTAL_READS``. ``capped``: at most
        ``PORTAL_CAP`` (what a portal is shown); otherwise all of the plate's."""
        conn = self.session.connection()
        if number is not None:
            rows = conn.execute(_BY_NUMBER, {"number": number}).all()
        else:
            stmt = _BY_PLATE if capped else _ALL_OF_PLATE
            rows = conn.execute(stmt, {"plate": plate, "state": plate_state}).all()
        return _grouped(rows)

    # -- listings -------------------------------------------------------------------------
    def page(
        self,
        f: CitationFilters,
        today: date,
        *,
        limit: int,
        cursor: str | None,
        payable_only: bool = False,
    ) -> tuple[list[Citation], str | None]:
        """A page of citations matching ``f`` (all but its balance, which is computed),
        newest first; ``payable_only``: of those that can still owe money."""
        stmt = sa.select(Citation)
        equal = {
            Citation.plate: f.plate,
            Citation.plate_state: f.plate_state,
            Citation.issued_by: f.issued_by,
        }
        for column, value in equal.items():
            if value is not None:
                stmt = stmt.where(column == value)
        if f.issued_from is not None:
            stmt = stmt.where(Citation.issued_at >= f.issued_from)
        if f.issued_to is not None:
            stmt = stmt.where(Citation.issued_at < f.issued_to)
        if f.status is not None:
            stmt = stmt.where(_status_clause(f.status, today))
        if payable_only:
            stmt = stmt.where(Citation.kind == "citation", Citation.state.in_(PAYABLE_STATES))
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)

    # -- vehicles -------------------------------------------------------------------------
    def scofflaws(self, today: date, threshold: int, limit: int) -> list[tuple[str, str, int]]:
        """Plates with at least ``threshold`` unpaid citations due before ``today``, most
        first: (state, plate, count)."""
        count = sa.func.count().label("n")
        rows = self.session.execute(
            sa.select(Citation.plate_state, Citation.plate, count)
            .where(
                Citation.kind == "citation",
                Citation.state.in_(("open", "collections")),
                Citation.due_date < today,
            )
            .group_by(Citation.plate_state, Citation.plate)
            .having(count >= threshold)
            .order_by(count.desc(), Citation.plate_state, Citation.plate)
            .limit(limit)
        ).all()
        return [(s, p, n) for s, p, n in rows]

    # -- issuance -------------------------------------------------------------------------
    def insert_issued(self, citation: Citation, *, then: Callable[[], None]) -> None:
        """A new citation as a prebuilt INSERT, with the rows ``then`` writes (its audit
        row and event): one round trip, the transaction's last (its number's counter row
        is locked until commit). It is only read after this (the response), so it does not
        join the session."""
        self.insert(citation, then=then)


def _status_clause(status: CitationStatus, today: date) -> Any:
    """The SQL for a status as ``status_of`` derives it (``overdue`` is an open citation
    past its due date on ``today``)."""
    fine = Citation.kind == "citation"
    not_due = sa.or_(Citation.due_date.is_(None), Citation.due_date >= today)
    return {
        CitationStatus.warning: Citation.kind == "warning",
        CitationStatus.open: sa.and_(fine, Citation.state == "open", not_due),
        CitationStatus.overdue: sa.and_(fine, Citation.state == "open", Citation.due_date < today),
        CitationStatus.paid: sa.and_(fine, Citation.state == "paid"),
    }.get(status, sa.and_(fine, Citation.state == status.value))
