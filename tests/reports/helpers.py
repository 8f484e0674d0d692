"""Bodies, principals and steps shared by the reports tests."""

from __future__ import annotations

from tests.factories import bearer, create_user, headers_for, token_for

URL = "/api/v1/reports"
VICTIM = {
    "role": "victim",
    "name": "Rosa Victim",
    "phone": "619-555-0111",
    "address": "12 Oak St",
    "date_of_birth": "1980-02-03",
}
JUVENILE = {"role": "witness", "name": "Kid Witness", "phone": "619-555-0199", "juvenile": True}
SUSPECT = {"role": "suspect", "name": "Unknown male", "juvenile": False}


def crime(**kw):
    body = {
        "kind": "crime",
        "offense_code": "23F",
        "narrative": "Window smashed, laptop taken.",
        "occurred_from": "2026-11-01T22:00:00-08:00",
        "occurred_to": "2026-11-02T06:30:00-08:00",
        "location": {"address": "1200 3RD AVE", "beat": "521"},
        "persons": [VICTIM, JUVENILE, SUSPECT],
    }
    body.update(kw)
    return body


def make_staff(db, settings):
    author = create_user(db, settings, "cso")
    sergeant = create_user(db, settings, "sergeant")
    return {
        "author": bearer(token_for(db, settings, author)),
        "author_id": str(author.id),
        "other_cso": headers_for(db, settings, "cso"),
        "sergeant": bearer(token_for(db, settings, sergeant)),
        "sergeant_user": sergeant,
        "other_sergeant": headers_for(db, settings, "sergeant"),
        "records": headers_for(db, settings, "records"),
        "cad": headers_for(db, settings, "cad"),
        "portal": headers_for(db, settings, "payment_portal"),
    }


async def new_report(client, staff, **kw):
    r = await client.post(URL, json=crime(**kw), headers=staff["author"])
    assert r.status_code == 201, r.text
    return r.json()


async def step(client, headers, report, action, body=None, if_match=None):
    h = dict(headers) | ({"If-Match": if_match} if if_match else {})
    return await client.post(f"{URL}/{report['id']}/{action}", json=body, headers=h)
