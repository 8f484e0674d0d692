"""Every malformed, forged or stale bearer token is a 401 problem, never a 500."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
from jose import jwt

from csoapi.core.models import utcnow
from csoapi.core.scopes import Role
from tests.factories import assert_problem, bearer, create_user, token_for

ME = "/api/v1/auth/me"


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def claims_of(token: str) -> dict:
    return jwt.get_unverified_claims(token)


def sign(settings, claims: dict, *, key: str | None = None, alg: str = "HS256") -> str:
    return jwt.encode(claims, key or settings.signing_key(), algorithm=alg)


@pytest.fixture
def valid(db, settings) -> str:
    return token_for(db, settings, create_user(db, settings, Role.sergeant))


async def expect_401(client, token: str) -> None:
    r = await client.get(ME, headers={"Authorization": f"Bearer {token}".encode()})
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_the_valid_token_works(client, valid):
    assert (await client.get(ME, headers=bearer(valid))).status_code == 200


async def test_alg_none(client, valid):
    claims = claims_of(valid)
    for alg in ("none", "None", "NONE"):
        await expect_401(client, f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}.")
        await expect_401(client, f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}.{b64(b'sig')}")


async def test_unknown_or_other_algorithms(client, settings, valid):
    claims = claims_of(valid)
    await expect_401(client, sign(settings, claims, alg="HS512"))
    await expect_401(client, sign(settings, claims, alg="HS384"))
    header, payload, signature = valid.split(".")
    for alg in ("RS256", "ES256", "XX999", ""):
        await expect_401(client, f"{b64({'alg': alg, 'typ': 'JWT'})}.{payload}.{signature}")


async def test_tampered_payload(client, valid):
    header, payload, signature = valid.split(".")
    claims = claims_of(valid)
    claims["role"] = "admin"
    claims["scope"] = "admin audit:read"
    await expect_401(client, f"{header}.{b64(claims)}.{signature}")


async def test_wrong_key(client, settings, valid):
    await expect_401(client, sign(settings, claims_of(valid), key="another-key-" + "z" * 40))


async def test_expired_and_not_yet_valid(client, settings, valid):
    claims = claims_of(valid)
    past = int((utcnow() - timedelta(hours=1)).timestamp())
    await expect_401(
        client, sign(settings, claims | {"exp": past, "iat": past - 60, "nbf": past - 60})
    )
    future = int((utcnow() + timedelta(hours=1)).timestamp())
    await expect_401(
        client, sign(settings, claims | {"iat": future, "nbf": future, "exp": future + 60})
    )


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "jti", "aud", "iss", "sid"])
async def test_missing_required_claim(client, settings, valid, claim):
    claims = claims_of(valid)
    del claims[claim]
    await expect_401(client, sign(settings, claims))


async def test_wrong_audience_issuer_and_claim_types(client, settings, valid):
    claims = claims_of(valid)
    await expect_401(client, sign(settings, claims | {"aud": "someone-else"}))
    await expect_401(client, sign(settings, claims | {"iss": "someone-else"}))
    await expect_401(client, sign(settings, claims | {"sub": "not-a-uuid"}))
    await expect_401(client, sign(settings, claims | {"sid": "not-a-uuid"}))
    await expect_401(client, sign(settings, claims | {"exp": "tomorrow"}))
    await expect_401(client, sign(settings, claims | {"kind": "client"}))
    await expect_401(client, sign(settings, claims | {"role": "admin"}))


async def test_oversized_token(client, settings, valid):
    claims = claims_of(valid) | {"pad": "x" * 4096}
    await expect_401(client, sign(settings, claims))


async def test_five_segment_jwe_and_garbage(client, valid):
    header, payload, signature = valid.split(".")
    jwe = f"{b64({'alg': 'dir', 'enc': 'A256GCM'})}..{b64(b'iv')}.{b64(b'ct')}.{b64(b'tag')}"
    for token in (
        jwe,
        f"{header}.{payload}",
        "a.b.c",
        "....",
        "%%%.%%%.%%%",
        "ä.ö.ü",
        f"{header}.{payload}.{signature}.",
        valid[:-3],
    ):
        await expect_401(client, token)


async def test_header_forms(client, valid):
    for header in ("", "Bearer", "Bearer ", f"Basic {valid}", f"Token {valid}", "Bearer a b"):
        r = await client.get(ME, headers={"Authorization": header})
        assert_problem(r, 401)


async def test_token_of_a_session_that_never_existed(client, settings, valid):
    claims = claims_of(valid) | {"sid": "00000000-0000-4000-8000-000000000000"}
    await expect_401(client, sign(settings, claims))


async def test_token_refused_quickly_without_500_under_many_shapes(client, settings, valid):
    # A small fuzz over header/payload shapes: never a 500.
    claims = claims_of(valid)
    variants = [
        claims | {"scope": 42},
        claims | {"jti": ""},
        claims | {"iat": "x"},
        {"just": "junk"},
        claims | {"exp": time.time() + 10**12},
    ]
    for variant in variants:
        r = await client.get(ME, headers=bearer(sign(settings, variant)))
        assert r.status_code in (200, 401), r.text
        if r.status_code == 401:
            assert_problem(r, 401)


async def test_lifetime_longer_than_the_configured_maximum_is_refused(client, settings, valid):
    """Correctly signed, not expired, issued in the past: still refused when ``exp - iat``
    is longer than an access token may live (a token minted with a leaked key, or by a
    version with another lifetime, must not outlive the configured bound)."""
    claims = claims_of(valid)
    longest = settings.access_token_minutes * 60
    assert claims["exp"] - claims["iat"] == longest
    now = int(utcnow().timestamp())
    for iat, exp in (
        (now - 60, now - 60 + longest + 1),
        (now, now + 86400),
        (now - 5, now + 10**9),
    ):
        await expect_401(client, sign(settings, claims | {"iat": iat, "nbf": iat, "exp": exp}))
    # A NumericDate given as a string is not one (python-jose would take it).
    await expect_401(client, sign(settings, claims | {"exp": str(claims["exp"])}))
    # Exactly the maximum, started a minute ago, is still fine.
    ok = sign(settings, claims | {"iat": now - 60, "nbf": now - 60, "exp": now - 60 + longest})
    assert (await client.get(ME, headers=bearer(ok))).status_code == 200
