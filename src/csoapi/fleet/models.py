"""Fleet and equipment: vehicles, radios, radar trailers; their maintenance tasks (each due
by a date or by an odometer reading, never both), the service records outside vendors send,
and the check-outs of an item to a staff member (at most one open per item: the partial
unique index makes a second one fail even if two requests race past the lock)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column


class FleetItem(Versioned, table=True):
    __tablename__ = "fleet_item"
    __table_args__ = (
        sa.Index("ix_fleet_item_created_at_id", "created_at", "id"),
        sa.CheckConstraint("odometer >= 0", name="odometer_not_negative"),
    )

    id: uuid.UUID = id_field()
    kind: str = Field(max_length=16)  # vehicle | equipment
    unit_number: str = Field(max_length=32, unique=True)  # the unit number or asset tag
    name: str = Field(max_length=200)
    category: str = Field(max_length=32)
    status: str = Field(default="in_service", max_length=16)  # in_service|out_of_service|retired
    make: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=64)
    year: int | None = None
    serial_number: str | None = Field(default=None, max_length=64)
    vin: str | None = Field(default=None, max_length=17)
    plate: str | None = Field(default=None, max_length=8)
    plate_state: str | None = Field(default=None, max_length=2)
    odometer: int | None = None  # miles; readings only go up
    odometer_read_at: datetime | None = utc_column(nullable=True)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    status_reason: str | None = Field(default=None, max_length=500)
    retired_at: datetime | None = utc_column(nullable=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class FleetTask(SQLModel, table=True):
    """One maintenance task of an item, due by a date or by an odometer reading."""

    __tablename__ = "fleet_task"
    __table_args__ = (
        sa.CheckConstraint(
            "(due_on IS NULL) <> (due_odometer IS NULL)", name="due_by_date_or_odometer"
        ),
        sa.CheckConstraint("every_days IS NULL OR due_on IS NOT NULL", name="days_with_date"),
        sa.CheckConstraint(
            "every_miles IS NULL OR due_odometer IS NOT NULL", name="miles_with_odometer"
        ),
    )

    id: uuid.UUID = id_field()
    item_id: uuid.UUID = Field(foreign_key="fleet_item.id", index=True)
    task: str = Field(max_length=200)
    due_on: date | None = None
    due_odometer: int | None = None
    every_days: int | None = None
    every_miles: int | None = None
    done: bool = Field(default=False)  # a one-off task a service record completed
    last_done_on: date | None = None
    last_done_odometer: int | None = None
    created_at: datetime = created_field()


class FleetServiceRecord(SQLModel, table=True):
    """Work an outside vendor did on an item (append-only)."""

    __tablename__ = "fleet_service_record"
    __table_args__ = (
        sa.Index(
            "ix_fleet_service_record_item_id_serviced_on",
            "item_id",
            "serviced_on",
            "created_at",
            "id",
        ),
        sa.CheckConstraint("cost_cents >= 0", name="cost_not_negative"),
    )

    id: uuid.UUID = id_field()
    item_id: uuid.UUID = Field(foreign_key="fleet_item.id")
    vendor: str = Field(max_length=200)
    serviced_on: date
    odometer: int | None = None
    work_done: str = Field(sa_type=sa.Text)
    cost_cents: int
    invoice_ref: str | None = Field(default=None, max_length=64)
    completes: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # task ids
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = created_field()


class FleetCheckout(SQLModel, table=True):
    """An item out with a staff member, from ``out_at`` until ``returned_at``."""

    __tablename__ = "fleet_checkout"
    __table_args__ = (
        sa.Index("ix_fleet_checkout_item_id_out_at", "item_id", "out_at", "id"),
        sa.Index(
            "uq_fleet_checkout_open_item",
            "item_id",
            unique=True,
            sqlite_where=sa.text("returned_at IS NULL"),
            postgresql_where=sa.text("returned_at IS NULL"),
        ),
    )

    id: uuid.UUID = id_field()
    item_id: uuid.UUID = Field(foreign_key="fleet_item.id")
    holder_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    out_at: datetime = utc_column()
    out_by: uuid.UUID | None = None
    expected_return_at: datetime | None = utc_column(nullable=True)
    purpose: str | None = Field(default=None, max_length=500)
    returned_at: datetime | None = utc_column(nullable=True)
    returned_by: uuid.UUID | None = None
    return_note: str | None = Field(default=None, max_length=500)
    return_odometer: int | None = None
