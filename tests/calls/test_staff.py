"""Dispatchable staff (issue 22): a CAD system finds whom to assign a call to without the
admin scope, sees no personal data, and may assign by badge number."""

from __future__ import annotations

from tests.calls.helpers import act, create_call
from tests.factories import assert_problem, bearer, create_user, headers_for, token_for

STAFF = "/api/v1/staff"


async def test_staff_needs_calls_dispatch(client, db, settings):
    assert_problem(await client.get(STAFF), 401)
    for role in ("cso", "records", "payment_portal"):
        assert_problem(await client.get(STAFF, headers=headers_for(db, settings, role)), 403)


async def test_staff_lists_active_csos_and_sergeants_only_with_no_personal_data(
    client, db, settings
):
    cso = create_user(db, settings, "cso", badge_number="C-1043", full_name="CSO Kim Nguyen")
    sgt = create_user(db, settings, "sergeant", badge_number="S-214")
    gone = create_user(db, settings, "cso", badge_number="C-9999")
    gone.active = False
    db.commit()
    create_user(db, settings, "records", badge_number="R-1")
    cad = headers_for(db, settings, "cad")
    r = await client.get(STAFF, headers=cad)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    by_id = {i["id"]: i for i in items}
    assert set(by_id) >= {str(cso.id), str(sgt.id)} and str(gone.id) not in by_id
    assert {i["role"] for i in items} <= {"cso", "sergeant"}
    assert by_id[str(cso.id)] == {
        "id": str(cso.id),
        "badge_number": "C-1043",
        "display_name": "CSO Kim Nguyen",
        "role": "cso",
        "on_duty": False,  # signed on and off in tests/users/test_duty.py
        "on_duty_since": None,
    }
    r = await client.get(STAFF, params={"role": "sergeant"}, headers=cad)
    assert {i["role"] for i in r.json()["items"]} == {"sergeant"}
    r = await client.get(STAFF, params={"role": "admin"}, headers=cad)
    assert r.status_code == 200 and r.json()["items"] == []


async def test_a_call_can_be_assigned_by_badge_number(client, db, settings):
    cso = create_user(db, settings, "cso", badge_number="C-2001")
    cad_client = headers_for(db, settings, "cad")
    call = await create_call(client, cad_client)
    r = await act(client, cad_client, call, "assign", {"assigned_to": "C-2001"})
    assert r.status_code == 200, r.text
    assert r.json()["assigned_to"] == str(cso.id)
    other = await create_call(client, cad_client)
    r = await act(client, cad_client, other, "assign", {"assigned_to": "NO-SUCH"})
    body = assert_problem(r, 422, "invalid_assignee")
    assert body["errors"][0]["loc"] == ["body", "assigned_to"]
    create_user(db, settings, "cso", badge_number="C-3000")
    create_user(db, settings, "sergeant", badge_number="C-3000")
    r = await act(client, cad_client, other, "assign", {"assigned_to": "C-3000"})
    assert_problem(r, 422, "ambiguous_badge")
    # An id still works, as before.
    sgt = create_user(db, settings, "sergeant")
    r = await act(client, bearer(token_for(db, settings, sgt)), other, "assign",
                  {"assigned_to": str(cso.id)})  # fmt: skip
    assert r.status_code == 200 and r.json()["assigned_to"] == str(cso.id)
