"""The token endpoint's throttle: no single source can lock an account or spray passwords,
a flood cannot take the CPU with Argon2 hashes, and refusals add at most one audit row a
minute per limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from csoapi.auth import service as auth_service
from csoapi.auth.throttle import source_key, username_key
from csoapi.core.audit import AuditEvent
from csoapi.core.scopes import ClientKind, Role
from csoapi.main import create_app
from csoapi.users.models import User
from tests.auth.test_auth import TOKEN, from_address, login
from tests.conftest import make_settings
from tests.factories import PASSWORD, assert_problem, create_client, create_user, headers_for

WRONG = "wrong password 123"


@pytest.fixture
def minute(monkeypatch) -> datetime:
    """The sign-in service's clock held at one second into a minute of tomorrow, so that
    per-minute budgets cannot roll over in the middle of a test, and no count another test
    committed today (with its own engine) shares a window with this one's."""
    now = datetime.now(UTC).replace(second=1, microsecond=0) + timedelta(days=1)
    monkeypatch.setattr(auth_service, "utcnow", lambda: now)
    return now


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password hash the sign-in service verifies, in order."""
    seen: list[str] = []
    verify = auth_service.verify_password

    def counting(settings, password_hash, password):  # type: ignore[no-untyped-def]
        seen.append(password)
        return verify(settings, password_hash, password)

    monkeypatch.setattr(auth_service, "verify_password", counting)
    return seen


def throttled(r, *, longest: int = 60) -> int:
    assert_problem(r, 429, "login_throttled")
    retry = int(r.headers["retry-after"])
    assert 0 < retry <= longest, retry
    return retry


def audit_count(db, action: str) -> int:
    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).where(AuditEvent.action == action)) or 0


async def test_one_source_cannot_lock_an_account_in_any_spelling(
    client, app, db, settings, minute, hashes
):
    admin = create_user(db, settings, Role.admin, username="admin.target")
    budget = settings.lockout_max_failures - 1
    spellings = ["admin.target", "ADMIN.TARGET", " Admin.Target", "ａｄｍｉｎ．ｔａｒｇｅｔ"]
    for i in range(budget):
        assert_problem(await login(client, spellings[i % 2], WRONG), 400, "invalid_grant")
    window = (settings.lockout_window_minutes + 1) * 60
    for spelling in spellings * 3:
        throttled(await login(client, spelling, WRONG), longest=window)
    # Refused before any hash; not counted toward the lockout; the account is not locked.
    assert len(hashes) == budget
    db.expire_all()
    target = db.get(User, admin.id)
    assert target is not None and target.locked_until is None
    assert target.failed_logins == budget
    # The right password from this source waits too; from anywhere else it signs in.
    throttled(await login(client, "admin.target"), longest=window)
    async with from_address(app, "198.51.100.30") as elsewhere:
        assert (await login(elsewhere, "admin.target")).status_code == 200
    # Four failures audited one by one; twelve-plus refusals as one row.
    assert audit_count(db, "auth.throttled") == 1
    row = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.throttled")).one()
    assert (row.entity_id, row.source_ip, row.outcome) == (str(admin.id), "203.0.113.7", "refused")
    assert row.detail["limit"] == "source_username"


async def test_a_success_clears_the_sources_failures(client, db, settings, minute):
    create_user(db, settings, Role.cso, username="cso.typo")
    for _ in range(settings.lockout_max_failures - 2):
        await login(client, "cso.typo", WRONG)
    assert (await login(client, "cso.typo")).status_code == 200
    for _ in range(settings.lockout_max_failures - 1):
        assert_problem(await login(client, "cso.typo", WRONG), 400, "invalid_grant")


async def test_unlock_lifts_the_sources_throttle_too(client, db, settings, minute):
    user = create_user(db, settings, Role.cso, username="cso.helpdesk")
    for _ in range(settings.lockout_max_failures - 1):
        await login(client, "cso.helpdesk", WRONG)
    throttled(await login(client, "cso.helpdesk"), longest=16 * 60)
    admin = headers_for(db, settings, "admin")
    assert (await client.post(f"/api/v1/users/{user.id}/unlock", headers=admin)).status_code == 200
    assert (await login(client, "CSO.Helpdesk")).status_code == 200


async def test_spraying_from_one_source_is_limited(client, app, db, settings, minute, hashes):
    limit = settings.login_failures_per_source
    for i in range(limit):
        assert_problem(await login(client, f"someone.{i}", WRONG), 400, "invalid_grant")
    for i in range(5):
        assert throttled(await login(client, f"else.{i}", WRONG)) == 59
    assert len(hashes) == limit
    assert audit_count(db, "auth.login") == limit and audit_count(db, "auth.throttled") == 1
    # Another source is not affected.
    async with from_address(app, "198.51.100.31") as other:
        assert_problem(await login(other, "else.0", WRONG), 400, "invalid_grant")


async def test_failed_client_credentials_count_per_source(client, db, settings, minute):
    api_client, secret = create_client(db, settings, ClientKind.cad)
    form = {"grant_type": "client_credentials", "client_id": api_client.client_id}
    for _ in range(settings.login_failures_per_source):
        r = await client.post(TOKEN, data=form | {"client_secret": "not-it"})
        assert_problem(r, 401, "invalid_client")
    throttled(await client.post(TOKEN, data=form | {"client_secret": secret}))
    assert audit_count(db, "auth.client_token") == settings.login_failures_per_source


async def test_one_username_from_many_sources_is_limited(client, app, db, settings, minute):
    """A distributed guess at one name (here one that does not exist, so no lockout is in
    play) is held to the per-username budget, in every spelling."""
    limit = settings.login_failures_per_username
    for i in range(limit):
        async with from_address(app, f"198.51.100.{100 + i}") as c:
            name = "ghost.user" if i % 2 else "GHOST.User"
            assert_problem(await login(c, name, WRONG), 400, "invalid_grant")
    async with from_address(app, "2001:db8:7::1") as c:
        throttled(await login(c, "ghost.user ", WRONG))


async def test_the_overall_budget_bounds_the_hashes(database, clean_tables, minute, hashes):
    settings = make_settings(database.url, login_attempts_per_minute=3)
    limited = create_app(settings, engine=database.engine)
    for i in range(3):
        async with from_address(limited, f"198.51.100.{200 + i}") as c:
            assert_problem(await login(c, f"nobody.{i}", WRONG), 400, "invalid_grant")
    async with from_address(limited, "198.51.100.250") as c:
        throttled(await login(c, "nobody.new", WRONG))
    assert len(hashes) == 3


async def test_concurrent_attempts_from_one_source_cannot_lock(
    live_client, live_db, settings, postgres_only
):
    """Twelve wrong passwords at once from one source: the budget is checked again under the
    account's row lock, so no more than it allows get through, and the account stays open."""
    with live_db() as s:
        admin = create_user(s, settings, Role.admin, username="admin.burst")
    results = await asyncio.gather(*[login(live_client, "admin.burst", WRONG) for _ in range(12)])
    codes = sorted(r.status_code for r in results)
    budget = settings.lockout_max_failures - 1
    # wrong passwords: invalid_grant, a 400 (RFC 6749 §5.2; a 401 before issue 22)
    assert codes == [400] * budget + [429] * (12 - budget), [r.text for r in results]
    with live_db() as s:
        target = s.get(User, admin.id)
        assert target is not None and target.locked_until is None
    assert (await login(live_client, "admin.burst", PASSWORD)).status_code == 429


@pytest.mark.parametrize(
    "spelling", ["cso.ada", "CSO.ADA", "  cso.ada ", "ｃｓｏ．ａｄａ", "Cso.Ada\u3000"]
)
def test_every_spelling_of_a_name_shares_one_key(spelling):
    assert username_key(spelling) == username_key("cso.ada")
    assert username_key(spelling) != username_key("cso.adb")


def test_sources_are_keyed_by_address_and_ipv6_by_its_64():
    assert source_key("198.51.100.7") == "198.51.100.7"
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:ffff::9")
    assert source_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert source_key("2001:db8:1:3::1") != source_key("2001:db8:1:2::1")
    assert source_key(None) == "unknown" == source_key("testclient")


async def test_refresh_grants_are_not_throttled(client, db, settings, minute):
    create_user(db, settings, Role.cso, username="cso.busy")
    body = (await login(client, "cso.busy")).json()
    for i in range(settings.login_failures_per_source):
        await login(client, f"nobody.{i}", WRONG)
    r = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert r.status_code == 200, r.text


def test_budget_windows_end_where_retry_after_says(db, minute):
    """The pure arithmetic of a multi-minute budget: room returns when enough of its oldest
    windows have dropped out."""
    from csoapi.core import ratelimit

    budget = ratelimit.Budget("test:window", 3, minutes=5)
    for ago in (4, 4, 1):
        ratelimit.count(db, [budget], minute - timedelta(minutes=ago))
    hit = ratelimit.exhausted(db, [budget], minute)
    assert hit is not None and hit[0] == budget
    # The two counts of four minutes ago leave the window one minute from its start.
    assert hit[1] == 59
    assert ratelimit.exhausted(db, [budget], minute + timedelta(minutes=1)) is None


def test_a_long_budget_outlives_the_one_minute_housekeeping(db):
    """The portal lookup's purge drops windows two minutes old; the sign-in budget that
    spans the lockout window must keep its counts until that window has passed."""
    from csoapi.core import ratelimit

    long = ratelimit.Budget("test:long", 4, minutes=16)
    short = ratelimit.Budget("test:short", 4)
    five_ago = datetime.now(UTC) - timedelta(minutes=5)
    ratelimit.count(db, [long, short], five_ago)
    ratelimit.purge_before(db, datetime.now(UTC) - timedelta(minutes=2))
    kept = db.scalars(
        sa.select(ratelimit.RateCounter.key).where(ratelimit.RateCounter.key.like("test:%"))
    ).all()
    assert kept == ["test:long"]
