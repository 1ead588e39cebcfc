"""Password hashing (argon2id) and opaque session tokens (only their SHA-256 is stored)."""
from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes)
_hasher = DEFAULT_HASHER


def set_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (tests use argon2's cheapest profile); returns the previous one.
    Verification reads the parameters from each stored hash, so old hashes keep working."""
    global _hasher
    previous, _hasher = _hasher, hasher
    _dummy_hash.cache_clear()
    return previous


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when it matches. An unknown login (hash None) is checked against a dummy hash so
    both failures cost the same time and cannot be told apart."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def relay_key_digest(key: str) -> str:
    """A shop's relay key is stored as its SHA-256 (like tokens)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
