"""The sync loop a worker thread runs: pull, long-poll for news, pull again.

- **Woken at once** (`wake`, any thread): a local write or a live event for an urgent stream
  ends the long poll (or a backoff wait) without ending the client; the streams named are
  caught up first, also between the pages of a long first load.
- **Calm under a bad network**: a failure right after the server answered (a blip: a reset,
  a 503, a cut page) is retried quickly without claiming "offline"; only when nothing has
  answered for `offline_after_s` is the workstation offline. A page applied counts as
  success, so a long first load through a flaky network never climbs to the maximum
  backoff. While offline a cheap probe notices within about `probe_interval_s` that the
  server answers again, apart from the backoff of the heavy work.
- **Never silently stopped**: a bug (any exception that is not a sync or cache failure) is
  logged with its traceback, reported as a `SyncBug`, and the loop starts again after a
  growing pause. Only an expired session (`AuthExpired`) or `stop()` ends it.
- **Told once**: state changes, failures and recoveries are logged once each (not once per
  retry), without secrets; the last failure is written to the cache (`models.state`) so
  "last sync failed at 14:05: …" survives a restart.

Callbacks run on the worker thread and must not block; the UI adapts them to Qt signals.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Literal

from workstation.models import outbox
from workstation.models.db import CacheError
from workstation.models.state import record_attempt
from workstation.models.writer import CacheClosed, CacheWriter

from .client import StoreClient
from .errors import (AuthExpired, RequestRejected, ServerFailure, ServerUnreachable, SyncBug,
                     SyncError)
from .puller import Puller, SyncProgress
from .pusher import Pusher
from . import wire

log = logging.getLogger(__name__)

State = Literal["syncing", "online", "offline"]
ExitReason = Literal["stopped", "auth_expired"]

LONG_POLL_S = 25.0       # under the server's 30 s cap and typical proxy idle timeouts
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
OFFLINE_AFTER_S = 6.0    # nothing answered for this long (nor a probe): offline, not a blip
PROBE_INTERVAL_S = 1.5   # while offline: how often a cheap request checks for the network
BLIP_PAUSE_S = 0.3       # the longest pause after a failure that is only a blip
MAX_BLIPS = 5            # quiet retries in a row (no page through) before it is reported
BLIP_STATUSES = (429, 502, 503, 504)
BUG_BACKOFF_FIRST_S = 5.0
BUG_BACKOFF_MAX_S = 300.0
INLINE_CHANGES = 100     # the long poll's answer carries moved streams' changes up to this many


def _noop(*_args: object) -> None:
    return None


def _kind(exc: BaseException) -> tuple:
    """What makes two failures "the same" for the log and the status line."""
    if isinstance(exc, SyncBug):
        exc = exc.original
    status = exc.status if isinstance(exc, (ServerFailure, RequestRejected)) else None
    return (type(exc).__name__, status)


def _reason(exc: BaseException) -> str:
    """A short reason for the log and the status line (never a token: errors carry none)."""
    code = exc.code if isinstance(exc, SyncError) else type(exc).__name__
    return f"{code}: {str(exc)[:300]}"


class SyncService:
    def __init__(self, client: StoreClient, writer: CacheWriter, *,
                 on_state: Callable[[State], None] | None = None,
                 on_progress: Callable[[SyncProgress], None] | None = None,
                 on_synced: Callable[[datetime], None] | None = None,
                 on_error: Callable[[Exception], None] | None = None,
                 page_size: int = 1000, long_poll_s: float = LONG_POLL_S,
                 backoff_first_s: float = BACKOFF_FIRST_S,
                 backoff_max_s: float = BACKOFF_MAX_S,
                 offline_after_s: float = OFFLINE_AFTER_S,
                 probe_interval_s: float = PROBE_INTERVAL_S,
                 bug_backoff_first_s: float = BUG_BACKOFF_FIRST_S,
                 bug_backoff_max_s: float = BUG_BACKOFF_MAX_S) -> None:
        self.client = client
        self.writer = writer
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by wake() and stop(): ends any wait early
        self._hint: wire.Head | None = None  # the last long poll's answer, when it said what moved
        self._on_state = on_state or _noop
        self._on_synced = on_synced or _noop
        self._on_error = on_error or _noop
        self._puller = Puller(client, writer, page_size=page_size, on_progress=on_progress,
                              cancel=self._stop)
        self._pusher = Pusher(client, writer)
        self._push_wanted = False
        self._puller.between_pages = self._push_between_pages
        self._reconnected = False  # a cycle failed since the last good one
        self._long_poll_s = long_poll_s
        self._backoff_first_s = backoff_first_s
        self._backoff_max_s = backoff_max_s
        self._offline_after_s = offline_after_s
        self._probe_interval_s = probe_interval_s
        self._bug_backoff_first_s = bug_backoff_first_s
        self._bug_backoff_max_s = bug_backoff_max_s
        self._state: State | None = None
        self._offline_since: float | None = None
        self._last_kind: tuple | None = None  # the kind of failure last reported
        self._repeats = 0  # retries since, of that same kind
        self._recorded_ok = False  # the cache already says "the last attempt succeeded"
        self._blips = 0  # quiet retries in a row without a page getting through

    # ---- control (any thread) ------------------------------------------------------------

    @property
    def state(self) -> State | None:
        return self._state

    def stop(self) -> None:
        """Ends `run()` promptly, including a long poll or a page request in flight."""
        self._stop.set()
        self._wake.set()
        self.client.abort()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self, streams: set[str] | frozenset[str] | None = None) -> None:
        """Pull now: ends the long poll or a backoff wait at once. `streams` are caught up
        first (between the pages of a long catch-up of lower-priority streams)."""
        if streams:
            self._puller.request(streams)
        self._push_wanted = True  # a local write, maybe: pushed between the pages of a catch-up
        self._wake.set()
        self.client.interrupt_wait()

    # ---- the loop ------------------------------------------------------------------------

    def run(self) -> ExitReason:
        """The loop; returns why it ended. Never raises."""
        failures = bugs = 0
        progress_mark = self._puller.pages_applied
        while not self._stop.is_set():
            try:
                self._cycle()
                failures = bugs = self._blips = 0
                self._reconnected = False
            except AuthExpired as exc:
                if self._stop.is_set():
                    break  # signed out meanwhile: not an expiry to report
                self._set_state("offline", str(exc))
                self._on_error(exc)
                return "auth_expired"
            except CacheClosed:
                break  # signing out or shutting down: the cache went away under us
            except (SyncError, CacheError) as exc:
                if self._stop.is_set():
                    break
                # Nothing was half-applied: report, wait, and start over from the stored cursors.
                if self._puller.pages_applied != progress_mark:
                    failures = 0  # pages got through since the last failure: keep retrying fast
                    self._blips = 0
                progress_mark = self._puller.pages_applied
                failures += 1
                self._reconnected = True
                blip = self._failed(exc)
                pause = min(self._backoff(failures), BLIP_PAUSE_S) if blip else self._backoff(failures)
                self._pause(pause, probe=isinstance(exc, ServerUnreachable))
            except Exception as exc:  # noqa: BLE001 - a bug: say so, pause, start again
                if self._stop.is_set():
                    break
                bugs += 1
                pause = min(self._bug_backoff_max_s, self._bug_backoff_first_s * 2 ** (bugs - 1))
                self._bug(exc, pause)
                self._pause(pause, probe=False)
        return "stopped"

    def _cycle(self) -> None:
        self._wake.clear()  # a wake-up from here on ends this cycle's long poll at once
        # Read the head BEFORE pulling: a change that lands during the pull moves the head past
        # `seen`, so the long poll below returns at once instead of missing it.
        hint, self._hint = self._hint, None
        # After a long poll that said what moved, its answer is the head read before this
        # pull, and only those streams are pulled (every stream was at that poll's `after`).
        seen = hint if hint is not None else self.client.head()
        if self._state != "online":
            self._set_state("syncing")  # the server answers: catching up
        # The agent's writes first: they reach colleagues sooner, and the pull that follows
        # brings their effect back.
        self._pusher.push(reconnected=self._reconnected)
        # The answer's inlined change pages (a buyer's message) are applied without a request.
        summary = self._puller.run_once(only=hint.streams if hint is not None else None,
                                        inline=hint.changes if hint is not None else None)
        if summary.cancelled:
            return
        self._succeeded()
        self._on_synced(datetime.now(timezone.utc))
        self._set_state("online")
        # A timeout without news still loops back to a (cheap) pull, which refreshes
        # "synced at" and re-checks the connection.
        answer = self.client.wait(seen.seq, self._poll_timeout(), interrupt=self._wake,
                                  changes=INLINE_CHANGES)
        if (answer is not None and answer.streams is not None and answer.epoch == seen.epoch
                and answer.seq >= seen.seq and not self._wake.is_set()):
            self._hint = answer

    def _push_between_pages(self) -> None:
        if self._push_wanted:
            self._push_wanted = False
            self._pusher.push()

    def _poll_timeout(self) -> float:
        """The long poll, cut short when a write waiting for its retry falls due."""
        due = outbox.next_due(self.writer.engine)
        if due is None:
            return self._long_poll_s
        left = (due - datetime.now(timezone.utc)).total_seconds()
        return max(0.05, min(self._long_poll_s, left))

    def submit_write(self, fn: Callable[..., object], *args: object, **kwargs: object):
        """Queue a local write (e.g. `remarks.save_remark`) on the cache writer and wake the
        loop once it is saved, so it is sent at once. Returns the job's future (its
        result is the write's ChangeSet). Any thread; never blocks."""
        future = self.writer.submit(fn, *args, **kwargs)
        future.add_done_callback(lambda f: None if f.cancelled() or f.exception() else self.wake())
        return future

    # ---- failures ------------------------------------------------------------------------

    def _failed(self, exc: SyncError | CacheError) -> bool:
        """Report a failure; True when it is a blip (retry soon, tell nobody)."""
        if isinstance(exc, CacheError):
            # Local trouble (disk full, file locked by another program): not offline.
            self._report(exc, level=logging.ERROR)
            return False
        if self._is_blip(exc):
            # The network hiccuped while the server otherwise answers: retry soon and
            # quietly; the agent sees nothing.
            self._blips += 1
            log.debug("sync: retrying after %s", _reason(exc))
            return True
        # Reported first: whoever sees "offline" can already read why.
        self._report(exc, level=logging.WARNING)
        self._set_state("offline", _reason(exc))
        return False

    def _is_blip(self, exc: SyncError) -> bool:
        """Only connection trouble and "busy" answers can be blips (a 500, a 4xx or a page
        this program cannot read is not: it would fail again the same way), and only a few
        in a row without a page getting through; the server must have answered moments ago
        or answer a quick probe now."""
        transient = isinstance(exc, ServerUnreachable) or (
            isinstance(exc, ServerFailure) and exc.status in BLIP_STATUSES)
        if not transient or self._state == "offline" or self._blips >= MAX_BLIPS:
            return False
        answered = self.client.last_success
        recent = answered is not None and time.monotonic() - answered < self._offline_after_s
        return recent or self.client.probe()

    def _bug(self, exc: Exception, pause: float) -> None:
        if _kind(exc) != self._last_kind:
            log.error("sync: internal error, restarting in %.0f s", pause, exc_info=exc)
        self._report(SyncBug(exc, pause), level=None, kind=_kind(exc))

    def _report(self, exc: Exception, *, level: int | None, kind: tuple | None = None) -> None:
        """Tell the UI, the log and the cache once per kind of failure, not once per retry."""
        kind = kind or _kind(exc)
        if kind == self._last_kind:
            self._repeats += 1
            return
        self._last_kind, self._repeats = kind, 0
        reason = _reason(exc)
        if level is not None:
            log.log(level, "sync failed: %s", reason)
        self._on_error(exc)
        self._record(reason)

    def _succeeded(self) -> None:
        if self._last_kind is not None:
            log.info("sync recovered after %d retries", self._repeats)
            self._last_kind, self._repeats = None, 0
        if not self._recorded_ok:
            self._record(None)  # also clears a failure recorded by an earlier run

    def _record(self, reason: str | None) -> None:
        self._recorded_ok = reason is None
        try:
            self.writer.submit(record_attempt, reason)
        except CacheClosed:
            pass

    # ---- waiting -------------------------------------------------------------------------

    def _pause(self, seconds: float, *, probe: bool) -> None:
        """Wait `seconds` (or until woken or stopped). While the server is unreachable, a
        cheap probe every `probe_interval_s` ends the wait as soon as it answers again."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            step = min(left, self._probe_interval_s) if probe else left
            if self._wake.wait(step):
                return
            if probe and time.monotonic() < deadline and self.client.probe():
                log.info("sync: the server answers again")
                return

    def _backoff(self, failures: int) -> float:
        # Full jitter: desynchronises a room full of workstations reconnecting together.
        ceiling = min(self._backoff_max_s, self._backoff_first_s * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _set_state(self, state: State, reason: str = "") -> None:
        if state == self._state:
            return
        now = time.monotonic()
        if state == "offline":
            self._offline_since = now
            log.warning("sync: offline (%s)", reason or "no answer")
        elif self._offline_since is not None:
            log.info("sync: %s again after %.0f s offline", state, now - self._offline_since)
            self._offline_since = None
        else:
            log.debug("sync: %s", state)
        self._state = state
        self._on_state(state)
