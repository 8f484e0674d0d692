"""The audited source address is the caller's, never whatever a peer writes in
X-Forwarded-For, and a header can never make a request fail.

Driven through the app as ``csoapi serve`` runs it (uvicorn's configuration loaded with the
same options, so its proxy-header handling is part of what is tested), over HTTP."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from csoapi.cli import server_options
from csoapi.core.audit import AuditEvent
from csoapi.core.proxies import client_address, parse_address, parse_networks
from csoapi.core.scopes import Role
from csoapi.main import create_app
from tests.conftest import make_settings
from tests.factories import PASSWORD, create_user

TOKEN = "/api/v1/auth/token"
PROXIES = "10.0.0.0/8, 127.0.0.1, fd00::/8"


def served(app):
    """The ASGI app uvicorn runs for ``csoapi serve`` (its wrappers included)."""
    config = uvicorn.Config(app=app, log_config=None, **server_options(app.state.settings))
    config.load()
    return config.loaded_app


@pytest.fixture
def proxied_app(database, app, clean_tables):
    """The app with trusted proxies configured, on the same database."""
    other = create_app(make_settings(database.url, trusted_proxies=PROXIES), engine=database.engine)
    return other


async def signed_in_from(app, db, peer: tuple[str, int], forwarded: list[str]) -> str | None:
    """Sign in over HTTP from ``peer`` with these X-Forwarded-For lines; the audited address."""
    user = create_user(db, app.state.settings, Role.cso)
    transport = httpx.ASGITransport(app=served(app), raise_app_exceptions=False, client=peer)
    headers = [("X-Forwarded-For", value) for value in forwarded]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.post(
            TOKEN,
            data={"grant_type": "password", "username": user.username, "password": PASSWORD},
            headers=headers,
        )
    assert r.status_code == 200, r.text
    db.expire_all()
    return db.scalar(
        sa.select(AuditEvent.source_ip).where(
            AuditEvent.action == "auth.login", AuditEvent.entity_id == str(user.id)
        )
    )


LONG = "x" * 200
LIST = ", ".join(["198.51.100.1"] * 40)


async def test_by_default_no_peer_is_believed(app, db):
    for peer in (("127.0.0.1", 4000), ("10.0.0.2", 4000), ("203.0.113.7", 4000)):
        assert await signed_in_from(app, db, peer, ["198.51.100.9"]) == peer[0]


@pytest.mark.parametrize("forwarded", [[LONG], [LIST], ["1.2.3.4", LONG], ["::1" * 30]])
async def test_a_long_or_garbled_header_never_fails_a_sign_in(app, db, forwarded):
    assert await signed_in_from(app, db, ("127.0.0.1", 4000), forwarded) == "127.0.0.1"


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # the proxy's own peer is the caller
        ("127.0.0.1", ["198.51.100.9"], "198.51.100.9"),
        # a chain of trusted proxies: the first untrusted hop from the right; what the
        # caller wrote to the left of it (a spoof) is ignored
        ("10.0.0.2", ["6.6.6.6, 198.51.100.9, 10.1.2.3"], "198.51.100.9"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.9, 10.1.2.3"], "198.51.100.9"),
        # a peer that is not a trusted proxy is the caller, whatever it forwards
        ("203.0.113.7", ["198.51.100.9"], "203.0.113.7"),
        # garbage ends the walk at the last sound hop; a long list is read, not refused
        ("127.0.0.1", [LONG], "127.0.0.1"),
        ("10.0.0.2", [f"198.51.100.9, {LONG}, 10.1.2.3"], "10.1.2.3"),
        ("127.0.0.1", [LIST], "198.51.100.1"),
        # the forms proxies write, in canonical form
        ("127.0.0.1", ["[2001:DB8::1]:443"], "2001:db8::1"),
        ("127.0.0.1", ["198.51.100.4:5123"], "198.51.100.4"),
        ("127.0.0.1", ["::ffff:198.51.100.7"], "198.51.100.7"),
        ("127.0.0.1", ["fe80::1%eth0"], "fe80::1"),
        ("fd00::5", ["2001:db8::9"], "2001:db8::9"),
        ("127.0.0.1", [], "127.0.0.1"),
    ],
)
async def test_trusted_proxies_name_the_caller(proxied_app, db, peer, forwarded, expected):
    assert await signed_in_from(proxied_app, db, (peer, 4000), forwarded) == expected


async def test_a_peer_that_is_not_an_ip_is_recorded_as_none(app, db):
    assert await signed_in_from(app, db, ("testclient", 50000), ["198.51.100.9"]) is None


@hsettings(max_examples=300, deadline=None)
@given(
    peer=st.sampled_from(["127.0.0.1", "10.9.9.9", "203.0.113.7", "fd00::1", "nonsense"]),
    forwarded=st.lists(st.text(max_size=80), max_size=4),
)
def test_the_address_is_always_an_ip_that_fits_the_column(peer, forwarded):
    proxies = parse_networks(PROXIES)
    for trusted in (proxies, []):
        found = client_address(peer, forwarded, trusted)
        if found is None:
            assert parse_address(peer) is None
            continue
        assert len(found) <= 39 <= AuditEvent.__table__.c.source_ip.type.length
        assert str(ipaddress.ip_address(found)) == found


def test_a_bad_trusted_proxy_setting_is_refused_at_start():
    from pydantic import ValidationError

    from csoapi.core.config import Settings

    assert Settings(_env_file=None, trusted_proxies="").trusted_proxies == []
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/8, proxy.internal")
