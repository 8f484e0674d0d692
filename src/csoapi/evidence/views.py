"""An item as the API shows it."""

from __future__ import annotations

from csoapi.evidence.models import EvidenceItem
from csoapi.evidence.schemas import ItemRead, LocationRead, OwnerRead


def item_view(item: EvidenceItem, location: LocationRead | None) -> ItemRead:
    owner = None
    if item.owner_name is not None:
        owner = OwnerRead(name=item.owner_name, phone=item.owner_phone, address=item.owner_address)
    return ItemRead(
        id=item.id,
        barcode=item.barcode,
        kind=item.kind,
        category=item.category,
        high_risk=item.high_risk,
        description=item.description,
        quantity=item.quantity,
        collected_at=item.collected_at,
        collected_by=item.collected_by,
        found_at=item.found_at,
        report_id=item.report_id,
        call_id=item.call_id,
        owner=owner,
        estimated_value_cents=item.estimated_value_cents,
        biological=item.biological,
        status=item.status,
        current_location=location,
        current_holder=item.current_holder_id,
        current_party=item.current_party,
        checked_out_at=item.checked_out_at,
        due_back_at=item.due_back_at,
        review_date=item.review_date,
        review_rule=item.review_rule,
        custody_events=item.custody_seq,
        custody_head=item.custody_head,
        version=item.version,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
