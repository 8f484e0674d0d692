"""The agency always keeps an active administrator, also when two of them act at once."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from csoapi.core.scopes import Role
from csoapi.users.models import User
from tests.factories import assert_problem, bearer, create_user, token_for


async def test_the_last_admin_cannot_be_demoted_or_deactivated(client, db, settings):
    a = create_user(db, settings, Role.admin)
    b = create_user(db, settings, Role.admin)
    ha = bearer(token_for(db, settings, a))
    assert (await client.post(f"/api/v1/users/{b.id}/deactivate", headers=ha)).status_code == 200
    # ``a`` is the only active administrator now: demoting themselves is refused...
    r = await client.patch(
        f"/api/v1/users/{a.id}", json={"role": "cso"}, headers=ha | {"If-Match": '"1"'}
    )
    assert_problem(r, 409, "last_admin")
    # ...and once ``b`` is back, ``b`` may remove ``a`` but then not be removed by anyone.
    assert (await client.post(f"/api/v1/users/{b.id}/reactivate", headers=ha)).status_code == 200
    hb = bearer(token_for(db, settings, b))
    assert (await client.post(f"/api/v1/users/{a.id}/deactivate", headers=hb)).status_code == 200
    r = await client.patch(
        f"/api/v1/users/{b.id}", json={"role": "records"}, headers=hb | {"If-Match": '"3"'}
    )
    assert_problem(r, 409, "last_admin")


def _act(live_client, action: str, token: str, target: User):
    url = f"/api/v1/users/{target.id}"
    if action == "deactivate":
        return live_client.post(f"{url}/deactivate", headers=bearer(token))
    return live_client.patch(
        url, json={"role": "cso"}, headers=bearer(token) | {"If-Match": f'"{target.version}"'}
    )


@pytest.mark.parametrize("action", ["deactivate", "demote"])
async def test_two_admins_removing_each_other_at_once_leave_one(
    live_client, live_db, settings, postgres_only, action
):
    for trial in range(5):
        with live_db() as s:
            s.execute(sa.delete(User))
            s.commit()
            a = create_user(s, settings, Role.admin, username=f"admin.a{trial}")
            b = create_user(s, settings, Role.admin, username=f"admin.b{trial}")
            ta, tb = token_for(s, settings, a), token_for(s, settings, b)
        results = await asyncio.gather(
            _act(live_client, action, ta, b), _act(live_client, action, tb, a)
        )
        codes = sorted(r.status_code for r in results)
        assert codes[0] == 200 and codes[1] in (401, 409), [r.text for r in results]
        refused = next(r for r in results if r.status_code != 200)
        assert_problem(refused, refused.status_code)
        with live_db() as s:
            left = s.scalar(
                sa.select(sa.func.count())
                .select_from(User)
                .where(User.role == Role.admin.value, User.active.is_(True))
            )
        assert left == 1, (trial, action, [r.text for r in results])
