"""Passwords: the account policy (``account_policy.json``, with its sources), the strength a
new one must have (zxcvbn), and hashing with Argon2id (argon2-cffi; parameters from
settings)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from csoapi.core.config import Settings
from csoapi.core.offload import offload


@dataclass(frozen=True)
class AccountPolicy:
    password_min: int
    password_max: int
    strength_min_score: int
    strength_scored_chars: int
    sign_in_max_hours: int


def load_policy(name: str = "account_policy.json") -> AccountPolicy:
    data = json.loads(resources.files(__package__).joinpath(name).read_text())
    password, sign_in = data["password"], data["sign_in"]
    return AccountPolicy(
        password_min=int(password["min_length"]),
        password_max=int(password["max_length"]),
        strength_min_score=int(password["strength_min_score"]),
        strength_scored_chars=int(password["strength_scored_chars"]),
        sign_in_max_hours=int(sign_in["max_hours"]),
    )


POLICY = load_policy()
PASSWORD_MIN = POLICY.password_min
PASSWORD_MAX = POLICY.password_max


def weakness(password: str, *known: str) -> str | None:
    """Why a new password is refused (a common, guessable or personal one), or None. ``known``
    are what an attacker knows of its owner: the sign-in name, the full name."""
    scored = password[: POLICY.strength_scored_chars]
    # Each name whole, word by word, and its words run together ("Dana Okafor": danaokafor).
    parts = [[w for w in re.split(r"[^\w]+", k) if w] for k in known if k]
    words = {k for k in known if k} | {w for p in parts for w in p} | {"".join(p) for p in parts}
    result = zxcvbn(scored, user_inputs=sorted(words))
    if result["score"] >= POLICY.strength_min_score:
        return None
    warning = (result.get("feedback") or {}).get("warning")
    if not warning:
        return "This password is too easy to guess"
    return f"This password is too easy to guess: {warning.rstrip('.').lower()}"


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
