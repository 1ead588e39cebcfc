"""What keeps sign-in from being a lever against the server (docs/PROTOCOL.md, "Limits").

- `HashPool`: password hashes (argon2id, 64 MiB each) run on a few dedicated low-priority
  threads, with a short queue; a sign-in that finds the queue full is refused at once, so
  memory stays flat under a flood and the agents' sync requests keep the CPU.
- `LoginGuard` (interface) / `InProcessLoginGuard` (the embedded default): per-address and
  per-login budgets of failed attempts plus an exponential per-(login, address) delay.
  The counters live in this process; a deployment with several server processes would
  implement the same interface on a shared store (Redis) so the budgets are global.
"""
from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# Request size limits, checked before routing (413 too_large).
MAX_BODY_BYTES = 16 * 1024
MAX_QUERY_BYTES = 4 * 1024
MAX_JSON_DEPTH = 32
MAX_CURSOR_CHARS = 512
# The HTTP layer (h11) drops a request whose head is larger than this before the app sees
# it; set well above MAX_QUERY_BYTES so an oversized query still gets the JSON 413.
MAX_REQUEST_HEAD_BYTES = 256 * 1024
UVICORN_OPTIONS = {"h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES}
# Anything stored as a 64-bit signed integer (ids, seq, epoch).
MAX_INT64 = 2**63 - 1


class TooManyAttempts(Exception):
    """Refused before any password work; `retry_after_s` is when trying again can succeed."""

    def __init__(self, retry_after_s: float, reason: str):
        super().__init__(reason)
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        self.reason = reason


# ---- bounded password hashing ----------------------------------------------------------

def _lower_priority() -> None:
    # Linux keeps a nice value per thread, and the threads argon2 starts inherit it: hashes
    # then use only the CPU that request handlers leave over.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux, or not allowed: still bounded, just not nice
        pass


def default_hash_slots() -> int:
    """Half the cores, 1 to 4: one argon2 hash already runs 4 lanes in parallel, so more
    slots than that add memory (64 MiB each), not sign-ins per second."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class HashPool:
    """At most `slots` password checks at once and `queue` more waiting; beyond that
    `run()` raises TooManyAttempts at once (nothing waits long, nothing piles up)."""

    def __init__(self, slots: int | None = None, queue: int = 8):
        slots = slots or default_hash_slots()
        self.slots, self.queue = slots, queue
        self._executor = ThreadPoolExecutor(slots, thread_name_prefix="password-hash",
                                            initializer=_lower_priority)
        self._lock = threading.Lock()
        self._pending = 0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._pending >= self.slots + self.queue:
                raise TooManyAttempts(1, "the server is busy with other sign-ins")
            self._pending += 1
        try:
            return await asyncio.wrap_future(self._executor.submit(fn, *args))
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# ---- attempt budgets -------------------------------------------------------------------

@dataclass(frozen=True)
class LoginPolicy:
    """The documented sign-in policy (docs/PROTOCOL.md). Budgets count FAILED attempts: an
    attempt is charged when it starts (so concurrent ones cannot slip past) and refunded
    when it succeeds or is not tried after all."""

    address_burst: int = 30          # failures one client address may make in a row...
    address_refill_s: float = 2.0    # ...then one more every 2 s
    login_burst: int = 20            # failures against one login, from all addresses...
    login_refill_s: float = 15.0     # ...then one more every 15 s
    free_failures: int = 5           # consecutive failures per (login, address) before delays
    max_delay_s: float = 60.0        # the delay doubles per failure (1, 2, 4 ... s) up to this
    trusted_for_s: float = 7 * 24 * 3600  # an address that signed in to a login is exempt
                                          # from that login's budget this long
    max_entries: int = 50_000        # per table; the least recently used are forgotten
    idle_forget_s: float = 3600.0    # a (login, address) failure streak is forgotten after this


class LoginGuard(Protocol):
    def begin(self, login: str, address: str) -> None:
        """Charge an attempt, or raise TooManyAttempts."""

    def finish(self, login: str, address: str, ok: bool | None) -> None:
        """Record the outcome of an attempt that `begin` let through: True signed in, False
        wrong credentials, None not tried after all (the charge is given back)."""


class _Buckets:
    """Token buckets keyed by string, at most `max_entries` of them (LRU)."""

    def __init__(self, burst: int, refill_s: float, max_entries: int):
        self.burst, self.refill_s, self.max_entries = burst, refill_s, max_entries
        self._tokens: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._tokens.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) / self.refill_s)

    def wait_s(self, key: str, now: float) -> float:
        """0 when a token is there, else the seconds until one is."""
        level = self._level(key, now)
        return 0.0 if level >= 1 else (1 - level) * self.refill_s

    def add(self, key: str, now: float, n: float) -> None:
        level = min(self.burst, self._level(key, now) + n)
        self._tokens[key] = (level, now)
        self._tokens.move_to_end(key)
        if level >= self.burst:  # a full bucket is the same as none: keep the table small
            del self._tokens[key]
        while len(self._tokens) > self.max_entries:
            self._tokens.popitem(last=False)


class InProcessLoginGuard:
    """LoginGuard with its counters in this process's memory (bounded; lost on restart)."""

    def __init__(self, policy: LoginPolicy = LoginPolicy(), clock: Callable[[], float] = time.monotonic):
        self.policy, self._clock = policy, clock
        self._lock = threading.Lock()
        self._by_address = _Buckets(policy.address_burst, policy.address_refill_s, policy.max_entries)
        self._by_login = _Buckets(policy.login_burst, policy.login_refill_s, policy.max_entries)
        self._streaks: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()  # failures, last
        self._trusted: OrderedDict[tuple[str, str], float] = OrderedDict()  # last success

    def begin(self, login: str, address: str) -> None:
        with self._lock:
            now = self._clock()
            trusted = self._is_trusted(login, address, now)
            waits = [(self._streak_wait(login, address, now), "too many failed attempts from here"),
                     (self._by_address.wait_s(address, now), "too many failed attempts from this address")]
            if not trusted:
                waits.append((self._by_login.wait_s(login, now), "too many failed attempts for this login"))
            wait, reason = max(waits)
            if wait > 0:
                raise TooManyAttempts(wait, reason)
            self._by_address.add(address, now, -1)
            if not trusted:
                self._by_login.add(login, now, -1)

    def finish(self, login: str, address: str, ok: bool | None) -> None:
        with self._lock:
            now, key = self._clock(), (login, address)
            if ok is None or ok:
                self._by_address.add(address, now, 1)
                if not self._is_trusted(login, address, now):
                    self._by_login.add(login, now, 1)
            if ok is None:
                return
            if ok:
                self._streaks.pop(key, None)
                self._remember(self._trusted, key, now)
                return
            failures, last = self._streaks.get(key, (0, now))
            if now - last > self.policy.idle_forget_s:
                failures = 0
            self._remember(self._streaks, key, (failures + 1, now))

    def _is_trusted(self, login: str, address: str, now: float) -> bool:
        at = self._trusted.get((login, address))
        return at is not None and now - at <= self.policy.trusted_for_s

    def _streak_wait(self, login: str, address: str, now: float) -> float:
        failures, last = self._streaks.get((login, address), (0, now))
        over = failures - self.policy.free_failures
        if over < 0 or now - last > self.policy.idle_forget_s:
            return 0.0
        delay = min(self.policy.max_delay_s, 2.0 ** over)
        return max(0.0, last + delay - now)

    def _remember(self, table: OrderedDict, key: Any, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.policy.max_entries:
            table.popitem(last=False)


class NoLoginLimits:
    """A LoginGuard that never refuses (for tools that sign in thousands of times)."""

    def begin(self, login: str, address: str) -> None:
        pass

    def finish(self, login: str, address: str, ok: bool | None) -> None:
        pass
