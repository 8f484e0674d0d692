"""The demo agency's tows (``csoapi seed-demo``), from the trimmed Chicago towed-vehicles
sample shipped in the package (``samples/chicago_tows_2022-02_05.csv``, placeholder plates):
its 300 rows imported as history through the impounds importer and its ``chicago`` mapping
(the rows the importer refuses, blank plates and repeats, are refused here too), and a few of
its vehicles towed again in the last days as live impounds through the impounds service, so
that a records clerk finds vehicles on the lots with fees running, one part paid, and one
paid and released to its owner. Owner names and ID numbers here are made up."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.models import utcnow
from csoapi.samples import sample
from csoapi.users.models import User

SAMPLE = "chicago_tows_2022-02_05.csv"
# Days since each live tow, and what became of it: the oldest paid and released, one part paid.
LIVE_TOWS = [(9, "released"), (6, "stored"), (4, "part_paid"), (2, "stored"), (1, "stored")]
PART_PAYMENT_CENTS = 10_000


def tow_history(factory: sessionmaker[Session], settings: Settings) -> int:
    """The sample through the importer, as ``csoapi import impounds FILE --mapping chicago``."""
    from csoapi.impounds.importer import import_impounds, impound_mapping

    return import_impounds(factory, settings, sample(SAMPLE), impound_mapping("chicago")).stored


def _vehicles(count: int) -> list[dict[str, str]]:
    """The first ``count`` rows with a plate and a two-letter state, a lot at a time in turn,
    so that every pound in the sample has vehicles on it."""
    with sample(SAMPLE).open(newline="", encoding="utf-8") as fh:
        usable = [r for r in csv.DictReader(fh) if r["Plate"] and len(r["State"]) == 2]
    lots = sorted({r["Towed to Address"] for r in usable})
    queues = [[r for r in usable if r["Towed to Address"] == lot] for lot in lots]
    picked: list[dict[str, str]] = []
    while len(picked) < count:
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def seed_tows(session: Session, ctx: RequestContext, people: dict[str, User], acting: Any) -> int:
    """``acting(ctx, user)`` is ``demo.as_principal``: a CSO records each tow, records takes
    the fees and releases."""
    from csoapi.impounds.release import ReleaseService
    from csoapi.impounds.service import ImpoundService

    towing = ImpoundService(session, acting(ctx, people["CSO"]))
    desk = ReleaseService(session, acting(ctx, people["RECORDS"]))
    now = utcnow()
    for (days, fate), row in zip(LIVE_TOWS, _vehicles(len(LIVE_TOWS)), strict=True):
        impound = towing.create(_tow(row, now - timedelta(days=days, hours=3)))
        if fate == "stored":
            continue
        _pay(desk, impound.id, fate, row)
    return len(LIVE_TOWS)


def _tow(row: dict[str, str], towed_at: Any) -> Any:
    from csoapi.impounds.schemas import ImpoundCreate, ImpoundReason, VehicleIn

    return ImpoundCreate(
        vehicle=VehicleIn(
            plate=row["Plate"],
            plate_state=row["State"],
            make=row["Make"] or None,
            model=(row["Model"] or row["Style"]) or None,
            color=row["Color"] or None,
        ),
        reason=ImpoundReason.PARKING,
        authority="CVC 22651(k)",
        towed_from="Demo City, 72-hour parking",
        tow_company="City of Chicago",
        storage_lot=row["Towed to Address"],
        towed_at=towed_at,
    )


def _pay(desk: Any, impound_id: Any, fate: str, row: dict[str, str]) -> None:
    from csoapi.citations.schemas import PaymentCreate, PaymentMethod
    from csoapi.impounds.schemas import OwnerIn, ReleaseBody

    owed = desk.balance(desk.get(impound_id), utcnow())
    amount = PART_PAYMENT_CENTS if fate == "part_paid" else owed
    desk.pay(
        impound_id,
        PaymentCreate(amount_cents=amount, method=PaymentMethod.card, reference="demo-desk"),
    )
    if fate == "released":
        owner = OwnerIn(name="Morgan Placeholder", id_type="driver_license", id_number="D0000417")
        desk.release(
            impound_id,
            ReleaseBody(
                owner=owner,
                proof_of_ownership=f"Registration for plate {row['Plate']}",
            ),
            None,
        )
