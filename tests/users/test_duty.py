"""Dispatchable staff on and off duty (issue 22, contract: `GET /staff?role=&on_duty=`): a
CSO or sergeant signs on at the start of a shift and off at its end, or a dispatcher (a
sergeant, the CAD) does it for them; the staff list says who is on duty and since when, and
filters on it. Each change is audited; deactivation or a role outside the staff ends a shift."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.users.models import DutyShift
from tests.factories import assert_problem, bearer, create_user, headers_for, token_for

STAFF = "/api/v1/staff"


def _on(user_id) -> str:  # type: ignore[no-untyped-def]
    return f"{STAFF}/{user_id}/on-duty"


def _off(user_id) -> str:  # type: ignore[no-untyped-def]
    return f"{STAFF}/{user_id}/off-duty"


async def _listed(client, headers, **params) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    r = await client.get(STAFF, params={"limit": 500, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return {i["id"]: i for i in r.json()["items"]}


def _audited(db, action: str, user_id) -> list[dict]:  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.execute(
        sa.select(AuditEvent.detail, AuditEvent.actor_id).where(
            AuditEvent.action == action, AuditEvent.entity_id == str(user_id)
        )
    ).all()
    return [{"detail": d, "actor": a} for d, a in rows]


async def test_only_the_person_or_a_dispatcher_changes_duty(client, db, settings):
    cso = create_user(db, settings, "cso")
    other = create_user(db, settings, "cso")
    assert_problem(await client.post(_on(cso.id)), 401)
    for role in ("records", "admin", "payment_portal", "provider"):
        r = await client.post(_on(cso.id), headers=headers_for(db, settings, role))
        assert_problem(r, 403, "duty_not_yours")
    as_other = bearer(token_for(db, settings, other))
    assert_problem(await client.post(_on(cso.id), headers=as_other), 403, "duty_not_yours")
    assert_problem(await client.post(_off(cso.id), headers=as_other), 403, "duty_not_yours")
    assert db.scalar(sa.select(sa.func.count()).select_from(DutyShift)) == 0


async def test_a_cso_signs_on_and_off_and_the_list_follows(client, db, settings):
    cso = create_user(db, settings, "cso", badge_number="C-77")
    idle = create_user(db, settings, "cso", badge_number="C-78")
    me = bearer(token_for(db, settings, cso))
    cad = headers_for(db, settings, "cad")
    r = await client.post(_on(cso.id), headers=me)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["on_duty"] is True and body["on_duty_since"] is not None
    assert set(body) == {"id", "badge_number", "display_name", "role", "on_duty", "on_duty_since"}
    again = await client.post(_on(cso.id), headers=me)  # already on: nothing changes
    assert again.status_code == 200 and again.json() == body
    on = await _listed(client, cad, on_duty="true")
    assert str(cso.id) in on and str(idle.id) not in on
    assert on[str(cso.id)]["on_duty_since"] == body["on_duty_since"]
    off = await _listed(client, cad, on_duty="false")
    assert str(idle.id) in off and str(cso.id) not in off
    assert (await _listed(client, cad))[str(idle.id)]["on_duty"] is False
    r = await client.post(_off(cso.id), headers=me)
    assert r.status_code == 200 and r.json()["on_duty"] is False
    assert r.json()["on_duty_since"] is None
    assert (await client.post(_off(cso.id), headers=me)).json()["on_duty"] is False
    assert str(cso.id) in await _listed(client, cad, on_duty="false")
    assert str(cso.id) not in await _listed(client, cad, on_duty="true")
    signed_on, signed_off = (
        _audited(db, "staff.on_duty", cso.id),
        _audited(db, "staff.off_duty", cso.id),
    )
    assert len(signed_on) == 1 and len(signed_off) == 1  # the repeats changed nothing
    assert signed_on[0]["actor"] == str(cso.id)
    assert signed_off[0]["detail"]["minutes"] == 0
    assert signed_off[0]["detail"]["shift"] == signed_on[0]["detail"]["shift"]
    shift = db.get(DutyShift, uuid.UUID(signed_on[0]["detail"]["shift"]))
    assert shift is not None and shift.ended_at is not None and shift.user_id == cso.id


async def test_a_sergeant_or_the_cad_signs_staff_on_and_off(client, db, settings):
    cso = create_user(db, settings, "cso")
    sgt = create_user(db, settings, "sergeant")
    as_sgt = bearer(token_for(db, settings, sgt))
    cad = headers_for(db, settings, "cad")
    assert (await client.post(_on(cso.id), headers=as_sgt)).json()["on_duty"] is True
    assert (await client.post(_on(sgt.id), headers=as_sgt)).json()["on_duty"] is True
    on = await _listed(client, cad, on_duty="true", role="sergeant")
    assert set(on) == {str(sgt.id)}
    assert (await client.post(_off(cso.id), headers=cad)).json()["on_duty"] is False
    assert _audited(db, "staff.on_duty", cso.id)[0]["actor"] == str(sgt.id)
    assert len(_audited(db, "staff.off_duty", cso.id)) == 1


async def test_only_active_csos_and_sergeants_go_on_duty(client, db, settings):
    cad = headers_for(db, settings, "cad")
    clerk = create_user(db, settings, "records")
    gone = create_user(db, settings, "cso")
    gone.active = False
    db.commit()
    for target in (clerk.id, gone.id, uuid.uuid4()):
        assert_problem(await client.post(_on(target), headers=cad), 404, "staff_not_found")
    own = bearer(token_for(db, settings, clerk))  # a clerk is not staff, not even for self
    assert_problem(await client.post(_on(clerk.id), headers=own), 404, "staff_not_found")
    assert_problem(await client.get(f"{STAFF}?on_duty=maybe", headers=cad), 422)


async def test_deactivation_or_leaving_the_staff_ends_the_shift(client, db, settings):
    cad = headers_for(db, settings, "cad")
    admin = headers_for(db, settings, "admin")
    leaving, moving = create_user(db, settings, "cso"), create_user(db, settings, "cso")
    for person in (leaving, moving):
        assert (await client.post(_on(person.id), headers=cad)).json()["on_duty"] is True
    assert (await client.post(f"/api/v1/users/{leaving.id}/deactivate", headers=admin)).is_success
    current = await client.get(f"/api/v1/users/{moving.id}", headers=admin)
    r = await client.patch(
        f"/api/v1/users/{moving.id}",
        json={"role": "records"},
        headers=admin | {"If-Match": current.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    db.expire_all()
    still_open = db.scalars(sa.select(DutyShift).where(DutyShift.ended_at.is_(None))).all()
    assert still_open == []
    assert _audited(db, "staff.off_duty", leaving.id)[0]["detail"]["reason"] == "deactivated"
    assert _audited(db, "staff.off_duty", moving.id)[0]["detail"]["reason"] == "role_changed"


async def test_two_sign_ons_at_once_open_one_shift(client, db, settings, postgres_only):
    cso = create_user(db, settings, "cso")
    me = bearer(token_for(db, settings, cso))
    answers = await asyncio.gather(*(client.post(_on(cso.id), headers=me) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.json()["on_duty_since"] for a in answers}) == 1
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(DutyShift)) == 1
