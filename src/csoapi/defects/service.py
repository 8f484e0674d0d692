"""Defect reports: filed by the field with photos (cleaned of their metadata), forwarded to
311 by the worker (``defects.forwarder``), read with what 311 says of them."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict
from typing import Any

from sqlmodel import Session

from csoapi.calls.repository import CallRepository
from csoapi.core import audit, events
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.models import new_row
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.defects import photos
from csoapi.defects.catalogue import DEFECTS
from csoapi.defects.models import Defect, DefectPhoto
from csoapi.defects.repository import DefectRepository
from csoapi.defects.schemas import (
    DefectCreate,
    DefectFilters,
    DefectRead,
    LocationRead,
    PhotoRead,
)


def payload(d: Defect) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "kind": d.kind,
        "forwarding": d.forwarding,
        "service_request_id": d.service_request_id,
        "status": d.status,
        "version": d.version,
    }


DEFECT: Entity[Defect] = Entity("defect", DEFECTS, payload)


def defect_event(session: Session, type_: str, d: Defect) -> None:
    events.append(
        session,
        type_,
        entity_type="defect",
        entity_id=d.id,
        read_scope=DEFECTS,
        payload=payload(d),
    )


def view(d: Defect, pictures: list[DefectPhoto]) -> DefectRead:
    fields = {k: getattr(d, k) for k in DefectRead.model_fields if hasattr(d, k)}
    fields.pop("status", None)
    return DefectRead(
        **fields,
        status=d.status,
        location=LocationRead(address=d.address, lat=d.lat, lon=d.lon),
        photos=[PhotoRead.model_validate(p) for p in pictures],
    )


class DefectService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = DefectRepository(session)
        self.changes = Changes(session, ctx, DEFECT, lock=lambda k: self.get(k, for_update=True))

    def get(self, defect_id: uuid.UUID, *, for_update: bool = False) -> Defect:
        return self.repo.get_or_404(defect_id, for_update=for_update)

    def read(self, defect_id: uuid.UUID) -> DefectRead:
        d = self.get(defect_id)
        audit.record(self.session, self.ctx, "defect.read", entity_type="defect", entity_id=d.id)
        return view(d, self.repo.photos_of([d.id])[d.id])

    def page(
        self, f: DefectFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[DefectRead], str | None]:
        rows, nxt = self.repo.page(f, limit=limit, cursor=cursor)
        pictures = self.repo.photos_of([d.id for d in rows])
        audit.record_list(
            self.session,
            self.ctx,
            "defect.list",
            entity_type="defect",
            filters=asdict(f) | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return [view(d, pictures[d.id]) for d in rows], nxt

    def report(self, data: DefectCreate) -> Defect:
        if data.call_id is not None and not CallRepository(self.session).exists(data.call_id):
            raise Unprocessable("call_id names no call", code="unknown_call", field="call_id")
        d = self.repo.add(
            new_row(
                Defect,
                kind=data.kind,
                address=data.location.address,
                lat=data.location.lat,
                lon=data.location.lon,
                description=data.description,
                call_id=data.call_id,
                reported_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
            )
        )
        audit.record(
            self.session,
            self.ctx,
            "defect.report",
            entity_type="defect",
            entity_id=d.id,
            detail={"kind": d.kind},
        )
        defect_event(self.session, "defect.reported", d)
        return d

    def add_photo(self, defect_id: uuid.UUID, raw: bytes, content_type: str) -> DefectPhoto:
        s = self.ctx.settings
        photos.precheck(raw, content_type, max_bytes=s.defect_photo_max_bytes)
        change = self.changes.begin(defect_id)
        if change.row.forwarding != "pending":
            raise Conflict("The report has gone to 311; photos go with it", code="defect_sent")
        if self.repo.photo_count(defect_id) >= s.defect_photos_max:
            raise Conflict(
                f"A report has at most {s.defect_photos_max} photos", code="too_many_photos"
            )
        kept = photos.clean(
            raw,
            content_type,
            max_bytes=s.defect_photo_max_bytes,
            max_pixels=s.defect_photo_max_pixels,
        )
        photo = DefectPhoto(
            defect_id=defect_id,
            content_type=kept.content_type,
            width=kept.width,
            height=kept.height,
            size_bytes=len(kept.data),
            sha256=hashlib.sha256(kept.data).hexdigest(),
            data=kept.data,
            uploaded_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        self.repo.add(photo)
        change.done("defect.photo", detail={"photo_id": str(photo.id), "bytes": len(kept.data)})
        return photo

    def photo(self, defect_id: uuid.UUID, photo_id: uuid.UUID) -> DefectPhoto:
        p = self.repo.photo(defect_id, photo_id)
        if p is None:
            raise NotFound("No such photo", code="photo_not_found")
        audit.record(
            self.session, self.ctx, "defect.photo.read", entity_type="defect", entity_id=defect_id
        )
        return p

    def retry(self, defect_id: uuid.UUID, if_match: str | None) -> DefectRead:
        """A report 311 never took, sent again from the first try."""
        change = self.changes.begin(defect_id, if_match)
        d = change.row
        if d.forwarding != "failed":
            raise Conflict(f"A {d.forwarding} report is not retried", code="defect_not_failed")
        d.forwarding, d.attempts, d.next_attempt_at, d.last_error = "pending", 0, None, None
        change.done("defect.retry", events=[Event("defect.reported")])
        return view(d, self.repo.photos_of([d.id])[d.id])
