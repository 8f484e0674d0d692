"""The evidence signing key (Ed25519): it signs the transparency log's heads and closed
audits' summaries, each over the RFC 8785 canonical JSON of what it vouches for. The key
comes from the settings (``CSOAPI_EVIDENCE_SIGNING_KEY``), never from the database, so a
person who can rewrite the tables cannot sign a rewritten history. Unset, it is derived from
the JWT signing key (SHA-256 with a label of its own): stable for an installation, secret
like that key."""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from csoapi.core.config import Settings

ALGORITHM = "Ed25519"


def _seed(settings: Settings) -> bytes:
    if settings.evidence_signing_key is not None:
        return base64.b64decode(settings.evidence_signing_key.get_secret_value())
    label = b"csoapi evidence signing key v1\x00"
    return hashlib.sha256(label + settings.signing_key().encode()).digest()


@functools.lru_cache(maxsize=8)
def _key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key(settings: Settings) -> Ed25519PrivateKey:
    return _key(_seed(settings))


def public_key_b64(settings: Settings) -> str:
    raw = private_key(settings).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign(settings: Settings, document: Any) -> str:
    """The base64 Ed25519 signature over ``document``'s RFC 8785 canonical JSON."""
    return base64.b64encode(private_key(settings).sign(rfc8785.dumps(document))).decode()


def verify(public_key: str, document: Any, signature: str) -> bool:
    """Whether ``signature`` is ``public_key``'s over ``document`` (both base64)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), rfc8785.dumps(document))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
