"""/api/v1/webhooks over HTTP with the server's default settings (private targets refused):
who may subscribe, a client's endpoints are its own, the secret shown once, rotation."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from csoapi.webhooks.models import WebhookEndpoint
from tests.factories import assert_problem, everyone

URL = "/api/v1/webhooks"
PUBLIC = "https://93.184.215.14/csoapi"  # an address literal: no DNS needed, and public


async def test_only_machine_clients_with_the_scope_subscribe(client, db, settings):
    team = everyone(db, settings)
    body = {"url": PUBLIC}
    assert_problem(await client.post(URL, json=body), 401)
    for who in ("cso", "sergeant", "records", "admin"):
        assert_problem(await client.post(URL, json=body, headers=team[who].headers), 403)
    for who in ("cad", "payment_portal"):
        r = await client.post(URL, json=body, headers=team[who].headers)
        assert r.status_code == 201, r.text
        assert r.json()["secret"].startswith("whsec_") and r.headers["cache-control"] == "no-store"


async def test_private_targets_are_refused_at_creation(client, db, settings):
    cad = everyone(db, settings)["cad"].headers
    for url, code in (
        ("http://127.0.0.1:9000/h", "private_target"),
        ("http://169.254.169.254/latest/meta-data", "private_target"),
        ("https://[::1]/h", "private_target"),
        ("https://10.1.2.3/h", "private_target"),
        ("https://no-such-host.invalid/h", "unresolvable_host"),
    ):
        assert_problem(await client.post(URL, json={"url": url}, headers=cad), 422, code)
    for bad in ({"url": "ftp://x/"}, {"url": PUBLIC, "event_types": ["Call Created"]}, {}):
        assert_problem(await client.post(URL, json=bad, headers=cad), 422)
    assert db.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


async def test_an_endpoint_is_its_clients_own(client, db, settings):
    team = everyone(db, settings)
    cad, portal = team["cad"].headers, team["payment_portal"].headers
    made = (
        await client.post(URL, json={"url": PUBLIC, "event_types": ["call.*"]}, headers=cad)
    ).json()
    one = f"{URL}/{made['id']}"
    got = await client.get(one, headers=cad)
    assert got.status_code == 200 and "secret" not in got.json()
    assert got.json()["event_types"] == ["call.*"] and got.json()["status"] == "active"
    for path in (one, f"{one}/deliveries", f"{one}/deliveries/{uuid.uuid4()}"):
        assert_problem(await client.get(path, headers=portal), 404)
    assert_problem(await client.delete(one, headers=portal), 404, "webhook_not_found")
    assert_problem(await client.post(f"{one}/rotate-secret", headers=portal), 404)
    recover = {"since": "2026-11-30T00:00:00Z"}
    assert_problem(await client.post(f"{one}/recover", json=recover, headers=portal), 404)
    listed = (await client.get(URL, headers=portal)).json()
    assert listed["items"] == []
    assert [w["id"] for w in (await client.get(URL, headers=cad)).json()["items"]] == [made["id"]]


async def test_rotation_and_deletion(client, db, settings):
    cad = everyone(db, settings)["cad"].headers
    made = (await client.post(URL, json={"url": PUBLIC}, headers=cad)).json()
    one = f"{URL}/{made['id']}"
    assert_problem(
        await client.post(f"{one}/rotate-secret", headers=cad | {"If-Match": '"99"'}), 412
    )
    rotated = await client.post(f"{one}/rotate-secret", headers=cad)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["secret"] != made["secret"] and new["previous_secret_valid_until"]
    row = db.get(WebhookEndpoint, uuid.UUID(made["id"]))
    assert (row.secret, row.previous_secret) == (new["secret"], made["secret"])
    gone = await client.delete(one, headers=cad | {"If-Match": rotated.headers["etag"]})
    assert gone.status_code == 204 and gone.content == b""
    assert_problem(await client.get(one, headers=cad), 404)
    assert (await client.get(URL, headers=cad)).json()["items"] == []
