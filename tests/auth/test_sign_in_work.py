"""Sign-in timing does not tell whether a user exists (OWASP API2): every password grant does
the same slow work, one Argon2id verification with the same parameters, whether the name is
unknown, the password wrong, the account locked or inactive, or the sign-in good. Counted, not
timed: a test that timed it would be a timed assertion, and flaky on a loaded machine."""

from __future__ import annotations

from datetime import timedelta

import argon2
import pytest

from csoapi.core.models import utcnow
from tests.auth.test_auth import login
from tests.factories import PASSWORD, create_user


@pytest.fixture
def verifications(monkeypatch) -> list[argon2.Parameters]:
    """The parameters of every Argon2 verification made, in order."""
    made: list[argon2.Parameters] = []
    real = argon2.PasswordHasher.verify

    def spy(self, hash, password):  # noqa: A002 (argon2's own name)
        made.append(argon2.extract_parameters(hash if isinstance(hash, str) else hash.decode()))
        return real(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
    return made


async def test_every_sign_in_outcome_costs_one_verification_alike(
    client, db, settings, verifications
):
    create_user(db, settings, "cso", username="w.present")
    locked = create_user(db, settings, "cso", username="w.locked")
    gone = create_user(db, settings, "cso", username="w.gone")
    locked.locked_until, gone.active = utcnow() + timedelta(hours=1), False
    db.commit()
    attempts = {
        "unknown user": ("w.absent", "a wrong password entirely"),
        "wrong password": ("w.present", "a wrong password entirely"),
        "locked": ("w.locked", PASSWORD),
        "inactive": ("w.gone", PASSWORD),
        "good": ("w.present", PASSWORD),
    }
    per_outcome: dict[str, list[argon2.Parameters]] = {}
    for outcome, (username, password) in attempts.items():
        verifications.clear()
        answer = await login(client, username, password)
        assert answer.status_code == (200 if outcome == "good" else 400), (outcome, answer.text)
        per_outcome[outcome] = list(verifications)
    assert all(len(made) == 1 for made in per_outcome.values()), per_outcome
    assert len({repr(made[0]) for made in per_outcome.values()}) == 1, per_outcome
