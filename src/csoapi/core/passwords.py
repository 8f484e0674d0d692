"""Password hashing with Argon2id (argon2-cffi); parameters from settings."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from csoapi.core.config import Settings
from csoapi.core.offload import offload

PASSWORD_MIN = 12
PASSWORD_MAX = 256


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.password_hash_time_cost, settings.password_hash_memory_kib)


def hash_password(settings: Settings, password: str) -> str:
    """Argon2id: deliberately slow, so off the event loop (``offload``)."""
    return offload(hasher(settings).hash, password)


def verify_password(settings: Settings, password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (a dummy hash stands in)."""
    ph = hasher(settings)
    target = password_hash or _dummy_hash(
        settings.password_hash_time_cost, settings.password_hash_memory_kib
    )
    try:
        ok = offload(ph.verify, target, password)  # deliberately slow: off the event loop
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash("not-a-real-password-placeholder")


def token_digest(value: str) -> str:
    """SHA-256 of a high-entropy random secret (client secrets, refresh tokens)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def digest_matches(stored_hex: str | None, value: str) -> bool:
    candidate = token_digest(value)
    return hmac.compare_digest(stored_hex or "0" * 64, candidate) and stored_hex is not None
