from __future__ import annotations

import asyncio

from tests.factories import assert_problem, bearer, create_user, headers_for, token_for


async def test_patch_needs_if_match_and_rejects_stale(client, db, settings):
    admin = headers_for(db, settings, "admin")
    user = create_user(db, settings, "cso")
    url = f"/api/v1/users/{user.id}"
    r = await client.get(url, headers=admin)
    etag = r.headers["etag"]
    assert etag == '"1"' and r.json()["version"] == 1
    assert_problem(
        await client.patch(url, json={"full_name": "A"}, headers=admin), 428, "if_match_required"
    )
    r = await client.patch(url, json={"full_name": "A"}, headers=admin | {"If-Match": etag})
    assert r.status_code == 200 and r.headers["etag"] == '"2"' and r.json()["full_name"] == "A"
    body = assert_problem(
        await client.patch(url, json={"full_name": "B"}, headers=admin | {"If-Match": etag}),
        412,
        "etag_mismatch",
    )
    assert body["current_etag"] == '"2"'
    assert_problem(
        await client.patch(url, json={"full_name": "B"}, headers=admin | {"If-Match": 'W/"2"'}),
        412,
        "etag_mismatch",
    )
    r = await client.patch(url, json={"full_name": "B"}, headers=admin | {"If-Match": '"9", "2"'})
    assert r.status_code == 200
    # Transitions accept If-Match when given.
    assert_problem(await client.post(f"{url}/deactivate", headers=admin | {"If-Match": '"1"'}), 412)
    assert (
        await client.post(f"{url}/deactivate", headers=admin | {"If-Match": '"3"'})
    ).status_code == 200


async def test_concurrent_patches_with_one_etag_apply_once(
    live_client, live_db, settings, postgres_only
):
    with live_db() as s:
        admins = [token_for(s, settings, create_user(s, settings, "admin")) for _ in range(2)]
        target = create_user(s, settings, "cso")
    url = f"/api/v1/users/{target.id}"
    results = await asyncio.gather(
        *[
            live_client.patch(
                url,
                json={"full_name": f"Writer {i}"},
                headers=bearer(admins[i % 2]) | {"If-Match": '"1"'},
            )
            for i in range(6)
        ]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 412, 412, 412, 412, 412], [r.text for r in results]
    final = await live_client.get(url, headers=bearer(admins[0]))
    assert final.json()["version"] == 2
