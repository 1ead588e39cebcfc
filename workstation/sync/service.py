"""The sync loop a worker thread runs: pull, long-poll for news, pull again; offline with
backoff when the server cannot be reached; stops on an expired session or on `stop()`.

It reports through plain callables (the UI adapts them to Qt signals). Callbacks run on the
worker thread and must not block.
"""
from __future__ import annotations

import logging
import random
import threading
from datetime import datetime, timezone
from typing import Callable, Literal

from sqlalchemy.engine import Engine

from workstation.models.db import CacheError

from .client import StoreClient
from .errors import AuthExpired, SyncError
from .puller import Puller, SyncProgress

log = logging.getLogger(__name__)

State = Literal["syncing", "online", "offline"]
ExitReason = Literal["stopped", "auth_expired", "crashed"]

LONG_POLL_S = 25.0       # under the server's 30 s cap and typical proxy idle timeouts
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0


def _noop(*_args: object) -> None:
    return None


class SyncService:
    def __init__(self, client: StoreClient, engine: Engine, *,
                 on_state: Callable[[State], None] | None = None,
                 on_progress: Callable[[SyncProgress], None] | None = None,
                 on_synced: Callable[[datetime], None] | None = None,
                 on_error: Callable[[Exception], None] | None = None,
                 page_size: int = 1000, long_poll_s: float = LONG_POLL_S,
                 backoff_first_s: float = BACKOFF_FIRST_S,
                 backoff_max_s: float = BACKOFF_MAX_S) -> None:
        self.client = client
        self._stop = threading.Event()
        self._on_state = on_state or _noop
        self._on_synced = on_synced or _noop
        self._on_error = on_error or _noop
        self._puller = Puller(client, engine, page_size=page_size, on_progress=on_progress,
                              cancel=self._stop)
        self._long_poll_s = long_poll_s
        self._backoff_first_s = backoff_first_s
        self._backoff_max_s = backoff_max_s
        self._state: State | None = None

    @property
    def state(self) -> State | None:
        return self._state

    def stop(self) -> None:
        """From any thread: ends `run()` promptly, including a long poll in flight."""
        self._stop.set()
        self.client.abort()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> ExitReason:
        """The loop; returns why it ended. Never raises."""
        failures = 0
        while not self._stop.is_set():
            try:
                self._cycle()
                failures = 0
            except AuthExpired as exc:
                self._set_state("offline")
                self._on_error(exc)
                return "auth_expired"
            except SyncError as exc:
                if self._stop.is_set():
                    break
                # Unreachable, 5xx, or a bad payload: nothing was half-applied; report, wait,
                # and start over from the stored cursors.
                self._set_state("offline")
                self._on_error(exc)
                failures += 1
                self._stop.wait(self._backoff(failures))
            except CacheError as exc:
                # Local trouble (disk full, file locked by another program): nothing was
                # half-applied; report it and try again later without claiming to be offline.
                self._on_error(exc)
                failures += 1
                self._stop.wait(self._backoff(failures))
            except Exception as exc:  # noqa: BLE001 - a bug: report it, do not spin on it
                log.exception("sync loop crashed")
                self._set_state("offline")
                self._on_error(exc)
                return "crashed"
        return "stopped"

    def _cycle(self) -> None:
        # Read the head BEFORE pulling: a change that lands during the pull moves the head past
        # `seen`, so the long poll below returns at once instead of missing it.
        if self._state != "online":
            self._set_state("syncing")  # catching up; routine pulls while online stay "online"
        seen = self.client.head()
        summary = self._puller.run_once()
        if summary.cancelled:
            return
        self._on_synced(datetime.now(timezone.utc))
        self._set_state("online")
        # A timeout without news still loops back to a (cheap) pull, which refreshes
        # "synced at" and re-checks the connection.
        self.client.wait(seen.seq, self._long_poll_s)

    def _backoff(self, failures: int) -> float:
        # Full jitter: desynchronises a room full of workstations reconnecting together.
        ceiling = min(self._backoff_max_s, self._backoff_first_s * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _set_state(self, state: State) -> None:
        if state != self._state:
            self._state = state
            self._on_state(state)
