"""Second factors (TOTP, RFC 6238) over HTTP: enrol, confirm, sign in with a code (each used
once), recovery codes, the lockout a wrong code counts toward, an administrator's reset, and
the policy that requires one (an enrolment-only sign-in reaches nothing else)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest
import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from tests.auth.test_auth import TOKEN, login
from tests.conftest import make_settings, serving
from tests.factories import PASSWORD, assert_problem, bearer, create_user, headers_for

MFA = "/api/v1/auth/mfa"


async def _enrolled(client, username: str) -> tuple[pyotp.TOTP, list[str]]:
    """Sign in, enrol and confirm; the app's TOTP and the recovery codes."""
    token = (await login(client, username)).json()["access_token"]
    enrol = await client.post(f"{MFA}/totp", headers=bearer(token))
    assert enrol.status_code == 201, enrol.text
    assert enrol.headers["cache-control"] == "no-store"
    body = enrol.json()
    assert body["otpauth_uri"].startswith(f"otpauth://totp/csoapi:{username}?secret=")
    app = pyotp.TOTP(body["secret"])
    done = await client.post(f"{MFA}/totp/confirm", json={"code": app.now()}, headers=bearer(token))
    assert done.status_code == 200, done.text
    codes = done.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    # The sign-in that enrolled ended with the confirmation: it was made without the factor.
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    return app, codes


def next_code(app: pyotp.TOTP) -> str:
    """The code of the next time step, taken within the allowed drift: confirming used the
    current step's, which is never taken twice."""
    return app.at(datetime.now(UTC) + timedelta(seconds=30))


async def test_sign_in_needs_the_code_once_enrolled(client, db, settings):
    create_user(db, settings, "cso", username="mfa.cso")
    app, _ = await _enrolled(client, "mfa.cso")
    missing = await login(client, "mfa.cso")
    body = assert_problem(missing, 400, "mfa_required")
    assert body.get("error") == "invalid_grant"
    assert_problem(
        await login(client, "mfa.cso", otp="000000" if app.now() != "000000" else "1"), 400
    )
    code = next_code(app)
    ok = await login(client, "mfa.cso", otp=code)
    assert ok.status_code == 200, ok.text
    me = await client.get("/api/v1/auth/me", headers=bearer(ok.json()["access_token"]))
    assert me.status_code == 200 and "calls:write" in me.json()["scopes"]
    # The same code again is a replay (RFC 6238 §5.2): refused, whatever the clock says.
    assert_problem(await login(client, "mfa.cso", otp=code), 400, "invalid_grant")


async def test_a_recovery_code_signs_in_once(client, db, settings):
    create_user(db, settings, "cso", username="lost.phone")
    _, codes = await _enrolled(client, "lost.phone")
    first = await login(client, "lost.phone", otp=codes[0].lower().replace("-", " "))
    assert first.status_code == 200, first.text
    assert_problem(await login(client, "lost.phone", otp=codes[0]), 400, "invalid_grant")
    status = await client.get(MFA, headers=bearer(first.json()["access_token"]))
    assert status.json() == {
        "enrolled": True, "pending": False, "required": False, "recovery_codes_left": 9,
    }  # fmt: skip


async def test_wrong_codes_count_toward_the_lockout(client, db, settings):
    user = create_user(db, settings, "cso", username="guessed.pw")
    app, _ = await _enrolled(client, "guessed.pw")
    wrong = "123456" if next_code(app) != "123456" else "654321"
    assert_problem(await login(client, "guessed.pw", otp=wrong), 400, "invalid_grant")
    db.refresh(user)
    assert user.failed_logins == 1  # as a wrong password would
    row = db.exec(sa.select(AuditEvent).where(AuditEvent.outcome == "failed_second_factor")).first()
    assert row is not None
    # One source guessing codes is throttled like one guessing passwords.
    answers = [
        (await login(client, "guessed.pw", otp=wrong)).status_code
        for _ in range(settings.lockout_max_failures)
    ]
    assert answers[-1] == 429 and set(answers) <= {400, 429}


async def test_a_step_no_later_than_the_last_used_is_refused(client, db, settings):
    create_user(db, settings, "cso", username="slow.clock")
    app, _ = await _enrolled(client, "slow.clock")
    # Confirming used the current step: it and the one before are spent, the next is not.
    earlier = app.at(datetime.now(UTC) - timedelta(seconds=30))
    assert_problem(await login(client, "slow.clock", otp=earlier), 400, "invalid_grant")
    assert (await login(client, "slow.clock", otp=next_code(app))).status_code == 200


async def test_enrolment_refusals(client, db, settings):
    cad = headers_for(db, settings, "cad")
    assert_problem(await client.post(f"{MFA}/totp", headers=cad), 403)
    assert_problem(await client.post(f"{MFA}/totp"), 401)
    create_user(db, settings, "cso", username="twice.cso")
    token = (await login(client, "twice.cso")).json()["access_token"]
    h = bearer(token)
    assert_problem(await client.post(f"{MFA}/totp/confirm", json={"code": "123456"}, headers=h),
                   409, "mfa_not_pending")  # fmt: skip
    first = (await client.post(f"{MFA}/totp", headers=h)).json()
    second = (await client.post(f"{MFA}/totp", headers=h)).json()  # replaces the pending one
    assert first["secret"] != second["secret"]
    stale = pyotp.TOTP(first["secret"]).now()
    if stale != pyotp.TOTP(second["secret"]).now():
        assert_problem(await client.post(f"{MFA}/totp/confirm", json={"code": stale}, headers=h),
                       422, "invalid_otp")  # fmt: skip
    done = await client.post(
        f"{MFA}/totp/confirm", json={"code": pyotp.TOTP(second["secret"]).now()}, headers=h
    )
    assert done.status_code == 200, done.text
    assert_problem(await login(client, "twice.cso"), 400, "mfa_required")


async def test_an_administrator_resets_a_lost_factor(client, db, settings):
    user = create_user(db, settings, "cso", username="reset.me")
    app, _ = await _enrolled(client, "reset.me")
    signed_in = (await login(client, "reset.me", otp=next_code(app))).json()["access_token"]
    admin = headers_for(db, settings, "admin")
    url = f"/api/v1/users/{user.id}/mfa/reset"
    assert_problem(await client.post(url, headers=bearer(signed_in)), 403)
    done = await client.post(url, headers=admin)
    assert done.status_code == 200 and done.json()["enrolled"] is False
    assert_problem(await client.get("/api/v1/auth/me", headers=bearer(signed_in)), 401)
    assert (await login(client, "reset.me")).status_code == 200  # no factor, none required
    # The person is there, with nothing to remove (found by the stateful contract fuzzing:
    # this was a 404, as if the person did not exist); no such person is the 404.
    assert_problem(await client.post(url, headers=admin), 409, "mfa_not_enrolled")
    nobody = f"/api/v1/users/{uuid.uuid4()}/mfa/reset"
    assert_problem(await client.post(nobody, headers=admin), 404, "user_not_found")


@pytest.fixture
async def strict(database, clean_tables) -> AsyncIterator[httpx.AsyncClient]:
    """The app as production runs it: every person signs in with a second factor."""
    async with serving(make_settings(database.url, mfa_required=True), database.engine) as c:
        yield c


async def test_where_required_a_sign_in_without_one_can_only_enrol(strict, db, settings):
    create_user(db, settings, "sergeant", username="new.sgt")
    db.commit()
    first = await strict.post(
        TOKEN, data={"grant_type": "password", "username": "new.sgt", "password": PASSWORD}
    )
    assert first.status_code == 200 and first.json()["scope"] == "mfa:enrol", first.text
    h = bearer(first.json()["access_token"])
    for path in ("/api/v1/calls", "/api/v1/codes/call-types", "/api/v1/audit"):
        assert_problem(await strict.get(path, headers=h), 403, "mfa_enrolment_required")
    assert (await strict.get(MFA, headers=h)).json()["required"] is True
    assert (await strict.get("/api/v1/auth/me", headers=h)).json()["scopes"] == []
    refresh = first.json()["refresh_token"]
    again = await strict.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert again.status_code in (400, 401)  # an enrolment-only sign-in is not refreshed
    app, _ = await _enrolled(strict, "new.sgt")
    full = await strict.post(
        TOKEN,
        data={"grant_type": "password", "username": "new.sgt", "password": PASSWORD,
              "otp": next_code(app)},
    )  # fmt: skip
    assert full.status_code == 200 and "reports:review" in full.json()["scope"].split()
    calls = await strict.get("/api/v1/calls", headers=bearer(full.json()["access_token"]))
    assert calls.status_code == 200
