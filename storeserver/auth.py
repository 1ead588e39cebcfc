"""Password hashing (argon2id), opaque session tokens (only their SHA-256 is stored) and the
per-process memory of recently checked tokens."""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
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


class RecentChecks:
    """What this process found for a token (or relay key) digest in the last `ttl_s`
    seconds, so a busy client's requests do not each read its session (docs/PROTOCOL.md,
    "Auth"). `forget(digest)` (a sign-out, here or announced by another process) drops an
    entry at once; `forget(None)` drops them all. A database read that started before a
    `forget` is not stored (`generation`), so a sign-out racing a request is never undone."""

    def __init__(self, ttl_s: float, max_entries: int = 20_000):
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, object]] = {}
        self._generation = 0

    def get(self, digest: str) -> object | None:
        if self.ttl_s <= 0:
            return None
        with self._lock:
            found = self._entries.get(digest)
        if found is None or time.monotonic() - found[0] >= self.ttl_s:
            return None
        return found[1]

    def generation(self) -> int:
        with self._lock:
            return self._generation

    def put(self, digest: str, value: object, generation: int) -> None:
        """Store what a read that began at `generation` found (unless forgotten since)."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[digest] = (time.monotonic(), value)

    def forget(self, digest: str | None) -> None:
        with self._lock:
            self._generation += 1
            if digest is None:
                self._entries.clear()
            else:
                self._entries.pop(digest, None)
