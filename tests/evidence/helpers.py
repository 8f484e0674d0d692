"""Principals, storage and bodies shared by the evidence tests."""

from __future__ import annotations

from tests.factories import bearer, create_user, headers_for, token_for

URL = "/api/v1/evidence"
LOC = f"{URL}/locations"


def make_staff(db, settings):
    cso = create_user(db, settings, "cso")
    other = create_user(db, settings, "cso")
    sergeant = create_user(db, settings, "sergeant")
    records = create_user(db, settings, "records")
    return {
        "cso": bearer(token_for(db, settings, cso)),
        "cso_user": cso,
        "other": bearer(token_for(db, settings, other)),
        "other_user": other,
        "sergeant": bearer(token_for(db, settings, sergeant)),
        "sergeant_user": sergeant,
        "other_sergeant": headers_for(db, settings, "sergeant"),
        "records": bearer(token_for(db, settings, records)),
        "records_user": records,
        "other_records": headers_for(db, settings, "records"),
        "admin": headers_for(db, settings, "admin"),
        "cad": headers_for(db, settings, "cad"),
    }


async def location(client, staff, code, level, parent=None, purpose=None, **kw):
    body = {"code": code, "name": f"{level} {code}", "level": level, **kw}
    if parent is not None:
        body["parent_id"] = parent["id"]
    if purpose is not None:
        body["purpose"] = purpose
    r = await client.post(LOC, json=body, headers=staff["records"])
    assert r.status_code == 201, r.text
    return r.json()


async def storage(client, staff):
    """An evidence room with a shelf and two bins, and a property room with a shelf."""
    room = await location(client, staff, "EV1", "room", purpose="evidence")
    shelf = await location(client, staff, "EV1-S1", "shelf", room)
    bins = [await location(client, staff, f"EV1-S1-B{i}", "bin", shelf) for i in (1, 2)]
    proom = await location(client, staff, "PR1", "room", purpose="property")
    pshelf = await location(client, staff, "PR1-S1", "shelf", proom)
    return {"room": room, "shelf": shelf, "bins": bins, "proom": proom, "pshelf": pshelf}


def item_body(where, **kw):
    body = {
        "kind": "evidence",
        "category": "electronics",
        "description": "Laptop, silver, SN 4411",
        "collected_at": "2026-11-30T09:15:00-08:00",
        "found_at": "1200 3RD AVE",
        "location_id": where["id"],
    }
    body.update(kw)
    return body


async def intake(client, staff, where, who="cso", **kw):
    r = await client.post(URL, json=item_body(where, **kw), headers=staff[who])
    assert r.status_code == 201, r.text
    return r.json()


async def custody(client, staff, item, who="cso", **body):
    return await client.post(f"{URL}/{item['id']}/custody", json=body, headers=staff[who])
