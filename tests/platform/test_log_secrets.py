"""Secrets and personal data never reach the logs (issue 23): ``csoapi serve`` on the test
database, logging at DEBUG, is driven through sign-ins (good and bad passwords, a refresh, a
client's credentials), a user created with a password, a webhook endpoint and its secret, a
forged token and a call naming its caller; then everything the process wrote is searched for
each secret and the caller's name. The logs are first checked to hold the requests, so that an
empty capture cannot pass."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from csoapi.core.db import make_async_engine, make_engine
from csoapi.core.driver_errors import not_storable
from csoapi.core.problems import without_the_value
from tests.calls.helpers import CALLS, call_body
from tests.factories import PASSWORD, create_client, create_user
from tests.servers import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
CSOAPI = Path(sys.executable).parent / "csoapi"
TOKEN = "/api/v1/auth/token"


def _serve(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSOAPI_")}
    env.update(
        CSOAPI_DATABASE_URL=url,
        CSOAPI_ENV="test",
        CSOAPI_LOG_LEVEL="DEBUG",
        CSOAPI_JWT_SECRET="log-test-" + "s" * 40,
        CSOAPI_PASSWORD_HASH_MEMORY_KIB="1024",
        CSOAPI_ALEMBIC_INI=str(ROOT / "alembic.ini"),
    )
    port = free_port()
    with log.open("wb") as sink:
        server = subprocess.Popen(  # noqa: S603 - our own entry point
            [str(CSOAPI), "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    if wait_until_serving(port, server) != 200:
        server.kill()
        raise AssertionError(log.read_text()[-2000:])
    return server, f"http://127.0.0.1:{port}"


def test_no_secret_or_caller_name_in_the_logs(database, db, settings, tmp_path):
    admin = create_user(db, settings, "admin")
    cad, cad_secret = create_client(db, settings, "cad")
    new_password = f"Pass-{uuid.uuid4().hex}-phrase"
    caller = f"Zebulon Quux-{uuid.uuid4().hex[:6]}"
    forged = "eyJhbGciOiJIUzI1NiJ9." + uuid.uuid4().hex + ".c2lnbmF0dXJl"
    log = tmp_path / "serve.log"
    server, base = _serve(database.url, log)
    secrets: list[str] = [PASSWORD, cad_secret, new_password, forged, f"wrong-{PASSWORD}"]
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            rid = {"X-Request-ID": "log-secrets-test"}
            bad = {"grant_type": "password", "username": admin.username, "password": secrets[4]}
            assert http.post(TOKEN, data=bad, headers=rid).status_code == 400
            grant = {"grant_type": "password", "username": admin.username, "password": PASSWORD}
            signed_in = http.post(TOKEN, data=grant, headers=rid)
            assert signed_in.status_code == 200, signed_in.text
            first = signed_in.json()
            refreshed = http.post(
                TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
            )
            assert refreshed.status_code == 200, refreshed.text
            admin_h = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
            secrets += [first["access_token"], first["refresh_token"]]
            secrets += [refreshed.json()["access_token"], refreshed.json()["refresh_token"]]
            user = {
                "username": f"cso.{uuid.uuid4().hex[:6]}",
                "full_name": "New Officer",
                "role": "cso",
                "password": new_password,
            }
            made = http.post("/api/v1/users", json=user, headers=admin_h | rid)
            assert made.status_code == 201, made.text
            machine = http.post(
                TOKEN,
                data={"grant_type": "client_credentials"},
                auth=(cad.client_id, cad_secret),
            )
            assert machine.status_code == 200, machine.text
            cad_h = {"Authorization": f"Bearer {machine.json()['access_token']}"}
            secrets.append(machine.json()["access_token"])
            hook = http.post(
                "/api/v1/webhooks", json={"url": "https://93.184.215.14/h"}, headers=cad_h
            )
            assert hook.status_code == 201, hook.text
            secrets.append(hook.json()["secret"])
            refused = http.get(CALLS, headers={"Authorization": f"Bearer {forged}"} | rid)
            assert refused.status_code == 401
            body = call_body(caller={"name": caller, "phone": "619-555-0199"})
            call = http.post(CALLS, json=body, headers=cad_h | rid)
            assert call.status_code == 201, call.text
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = log.read_text()
    assert text.count("log-secrets-test") >= 5, text[-2000:]  # the requests were logged
    for secret in secrets:
        assert secret not in text, f"a secret is in the logs: {secret[:6]}…"
        assert secret[:12] not in text, f"a secret's start is in the logs: {secret[:6]}…"
    assert caller not in text and "619-555-0199" not in text


async def test_a_database_error_names_no_value_of_the_request(database):
    """A 500 logs the database error with its traceback: the statement, never its values
    (a caller's name, a password hash), on every engine the app makes."""
    secret = f"Zebulon Quux-{uuid.uuid4().hex[:6]}"
    refused = sa.text("SELECT * FROM no_such_table WHERE x = :who")
    engine = make_engine(database.url)
    try:
        with pytest.raises(DBAPIError) as sync_error, engine.connect() as conn:
            conn.execute(refused, {"who": secret})
    finally:
        engine.dispose()
    texts = [str(sync_error.value)]
    async_engine = make_async_engine(database.url)
    if async_engine is not None:
        try:
            with pytest.raises(DBAPIError) as async_error:
                async with async_engine.connect() as conn:
                    await conn.execute(refused, {"who": secret})
        finally:
            await async_engine.dispose()
        texts.append(str(async_error.value))
    for text in texts:
        assert "SELECT" in text and secret not in text, text


async def test_a_value_too_large_for_its_column_is_logged_without_it(database, postgres_only):
    """asyncpg refuses such a value before sending it, in words that quote it; the 422's
    log line keeps only which argument it was."""
    engine = make_async_engine(database.url)
    assert engine is not None
    try:
        with pytest.raises(DBAPIError) as refused:
            async with engine.connect() as conn:
                await conn.execute(sa.text("CREATE TEMP TABLE narrow (n smallint)"))
                await conn.execute(sa.text("INSERT INTO narrow (n) VALUES (:n)"), {"n": 73_421})
    finally:
        await engine.dispose()
    assert not_storable(refused.value) and "73421" in str(refused.value.orig)
    assert without_the_value(refused.value) == "invalid input for query argument $1"
