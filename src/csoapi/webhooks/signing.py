"""Standard Webhooks 1.0 signatures: ``whsec_`` secrets and ``v1,<base64 HMAC-SHA256>`` over
``msg_id.timestamp.body`` (the exact bytes sent)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random

PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec allows 24 to 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    return base64.b64decode(secret[len(PREFIX) :])


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,…`` signature of ``body`` as sent with ``msg_id`` at ``timestamp``."""
    if "." in msg_id:
        raise ValueError("a message id must not contain '.'")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per valid secret, space-separated (two
    while a rotated secret's grace period runs)."""
    return " ".join(signature(s, msg_id, timestamp, body) for s in secrets)


def headers(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
        "content-type": "application/json",
    }
