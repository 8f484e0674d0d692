"""The TOTP rules, pure (``auth.totp``): a code is taken for its own time step within the
drift the account policy allows, each step once; secrets sealed at rest open only under
their key; recovery codes are read as people type them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from hypothesis import given, settings
from hypothesis import strategies as st

from csoapi.auth import totp
from csoapi.core.passwords import POLICY

PERIOD, DRIFT = POLICY.totp_period_seconds, POLICY.totp_drift_steps
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(at=moments, offset=st.integers(-3, 3))
def test_a_code_is_taken_within_the_drift_and_never_before_the_last_step(at, offset):
    app = pyotp.TOTP(SECRET, digits=POLICY.totp_digits, interval=PERIOD)
    step = int(at.timestamp()) // PERIOD + offset
    code = app.at(step * PERIOD)
    found = totp.matching_step(SECRET, code, at, None)
    if abs(offset) <= DRIFT:
        assert found is not None and abs(found - step) <= 2 * DRIFT
        assert totp.matching_step(SECRET, code, at, found) is None  # used: never again
    colliding = {app.at((step - offset + k) * PERIOD) for k in range(-DRIFT, DRIFT + 1)}
    if abs(offset) > DRIFT and code not in colliding:
        assert found is None


def test_malformed_codes_are_never_taken():
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    good = pyotp.TOTP(SECRET).at(at)
    assert totp.matching_step(SECRET, good, at, None) is not None
    for bad in ("", good[:-1], good + "0", "abcdef", "12 34 5x", "１２３４５６"):
        assert totp.matching_step(SECRET, bad, at, None) is None
    assert totp.matching_step(SECRET, f" {good[:3]} {good[3:]} ", at, None) is not None


def test_a_sealed_secret_opens_only_under_its_key():
    secret = totp.new_secret()
    assert len(secret) == 32  # 160 bits, RFC 4226 §4
    sealed = totp.seal("k" * 40, secret)
    assert secret not in sealed
    assert totp.unseal("k" * 40, sealed) == secret
    assert totp.unseal("j" * 40, sealed) is None
    assert totp.seal("k" * 40, secret) != sealed  # a fresh nonce each time


def test_recovery_codes_are_read_as_typed():
    codes = totp.new_recovery_codes()
    assert len(codes) == POLICY.recovery_codes and len(set(codes)) == len(codes)
    code = codes[0]
    assert totp.recovery_form(code.lower().replace("-", " ")) == code.replace("-", "")
    assert totp.recovery_form("O0I1O-0I1O0") is None and totp.recovery_form("short") is None


def test_the_previous_and_next_step_are_within_the_drift():
    at = datetime(2026, 12, 1, 12, 0, 15, tzinfo=UTC)
    app = pyotp.TOTP(SECRET)
    for seconds in (-PERIOD, 0, PERIOD):
        assert totp.matching_step(SECRET, app.at(at + timedelta(seconds=seconds)), at, None)
