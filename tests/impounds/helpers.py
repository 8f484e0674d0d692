"""Bodies, principals and steps shared by the impounds tests."""

from __future__ import annotations

from tests.factories import bearer, create_user, headers_for, token_for

URL = "/api/v1/impounds"


def tow(**kw):
    body = {
        "vehicle": {"plate": "7ABC123", "plate_state": "CA", "make": "HOND", "color": "BLK"},
        "reason": "PARKING",
        "authority": "CVC 22651(i)",
        "towed_from": "1200 3RD AVE",
        "tow_company": "Ace Towing",
        "storage_lot": "Main Lot",
        "odometer": 123456,
        "inventory": [{"item": "Child car seat"}, {"item": "Laptop bag", "location": "trunk"}],
    }
    body.update(kw)
    return body


def make_staff(db, settings):
    cso = create_user(db, settings, "cso", full_name="CSO Tow")
    sergeant = create_user(db, settings, "sergeant", full_name="Sgt Other")
    directing = create_user(db, settings, "sergeant", full_name="Sgt Directing")
    return {
        "cso": bearer(token_for(db, settings, cso)),
        "cso_user": cso,
        "sergeant": bearer(token_for(db, settings, sergeant)),
        "directing_sergeant": bearer(token_for(db, settings, directing)),
        "records": headers_for(db, settings, "records"),
        "admin": headers_for(db, settings, "admin"),
        "cad": headers_for(db, settings, "cad"),
        "portal": headers_for(db, settings, "payment_portal"),
    }


async def new_impound(client, headers, **kw):
    r = await client.post(URL, json=tow(**kw), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def post(client, headers, impound, path, body=None, if_match=None):
    h = dict(headers) | ({"If-Match": if_match} if if_match else {})
    return await client.post(f"{URL}/{impound['id']}/{path}", json=body, headers=h)


async def lift(client, headers, impound, hold_id, reason="Case closed"):
    return await client.request(
        "DELETE",
        f"{URL}/{impound['id']}/holds/{hold_id}",
        json={"reason": reason},
        headers=headers,
    )
