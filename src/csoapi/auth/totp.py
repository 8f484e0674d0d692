"""TOTP second factors (RFC 6238), pure: new secrets, sealing them at rest, checking a code
against its time steps (each used once), and recovery codes. The numbers (digits, step,
drift, how many recovery codes) are the account policy's (``core/account_policy.json``)."""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from datetime import datetime

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from csoapi.core.passwords import POLICY

ISSUER = "csoapi"
_SEAL_INFO = b"csoapi.totp-secret.v1"
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 §4 recommends and authenticator apps take."""
    return pyotp.random_base32(length=32)


def _key(signing_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(
        signing_key.encode()
    )


def seal(signing_key: str, secret: str) -> str:
    """The secret encrypted (AES-256-GCM) under a key derived from the signing key: a copy of
    the database alone gives no one a person's second factor."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(signing_key)).encrypt(nonce, secret.encode(), _SEAL_INFO)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(signing_key: str, sealed: str) -> str | None:
    """The secret, or None when it was sealed under another key (the signing key changed)."""
    raw = base64.urlsafe_b64decode(sealed.encode())
    try:
        return AESGCM(_key(signing_key)).decrypt(raw[:12], raw[12:], _SEAL_INFO).decode()
    except (InvalidTag, ValueError):
        return None


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from a QR code or typed in)."""
    totp = pyotp.TOTP(secret, digits=POLICY.totp_digits, interval=POLICY.totp_period_seconds)
    return totp.provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` is valid for at ``at`` (within the allowed drift), or None. A
    step at or before ``last_step`` has been used: never accepted again (RFC 6238 §5.2)."""
    code = code.strip().replace(" ", "")
    if len(code) != POLICY.totp_digits or not (code.isascii() and code.isdigit()):
        return None
    period, drift = POLICY.totp_period_seconds, POLICY.totp_drift_steps
    totp = pyotp.TOTP(secret, digits=POLICY.totp_digits, interval=period)
    now = int(at.timestamp()) // period
    found = None
    for step in range(now - drift, now + drift + 1):
        # Every candidate is compared (no early exit), in constant time.
        if hmac.compare_digest(totp.at(step * period), code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def new_recovery_codes() -> list[str]:
    """Single-use codes for a lost device: 10 characters each (50 bits), as XXXXX-XXXXX."""
    codes = []
    for _ in range(POLICY.recovery_codes):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_form(code: str) -> str | None:
    """A recovery code as stored (upper case, no dash or spaces), or None if it cannot be one."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    if len(text) != 10 or any(c not in _RECOVERY_ALPHABET for c in text):
        return None
    return text
