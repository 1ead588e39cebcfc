"""Runs `workstation.sync.service.SyncService` on a QThread and re-emits its plain callbacks
as Qt signals (delivered on the GUI thread). Progress is throttled: the GUI hears at most a
few updates per second however fast pages arrive."""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal


PAGE_SIZE = 500


def _lower_thread_priority() -> None:
    """Let the GUI thread win the CPU when the machine is busy. QThread priorities are
    honoured on Windows (start() passes LowPriority); Linux needs a per-thread nice value."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 5)
        except OSError:
            pass


class _Thread(QThread):
    def __init__(self, body: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._body = body

    def run(self) -> None:
        self._body()


class SyncWorker(QObject):
    state_changed = Signal(str)  # "syncing" | "online" | "offline"
    progress = Signal(object)  # SyncProgress (throttled)
    synced = Signal(object)  # datetime (UTC) of the last successful pull
    failed = Signal(object)  # a SyncError (unreachable, 5xx...), the loop carries on
    auth_expired = Signal(object)  # AuthExpired: the loop has ended, sign in again
    finished = Signal(str)  # the loop's exit reason: stopped / auth_expired / crashed

    def __init__(self, server_url: str, token: str, engine, parent: QObject | None = None, *,
                 progress_interval_s: float = 0.25, service_factory: Callable | None = None) -> None:
        super().__init__(parent)
        self._server_url = server_url
        self._token = token
        self._engine = engine
        self._interval = progress_interval_s
        self._service_factory = service_factory
        self._service = None
        self._lock = threading.Lock()
        self._stop_requested = False
        self._last_progress_at = 0.0
        self._last_stream = None
        self._auth_error = None
        self._thread = _Thread(self._run, self)
        self._thread.setObjectName("sync")

    def start(self) -> None:
        self._thread.start(QThread.Priority.LowPriority)

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def stop(self, wait_ms: int = 10_000) -> bool:
        """Ask the loop to end (aborts a long poll in flight) and wait for the thread."""
        with self._lock:
            self._stop_requested = True
            service = self._service
        if service is not None:
            service.stop()
        return self._thread.wait(wait_ms)

    # worker thread ------------------------------------------------------------
    def _make_service(self):
        if self._service_factory is not None:
            return self._service_factory(self._server_url, self._token, self._engine, self._callbacks())
        from workstation.sync.client import StoreClient  # noqa: PLC0415 (lazy: requests)
        from workstation.sync.service import SyncService  # noqa: PLC0415

        client = StoreClient(self._server_url, token=self._token)
        # Half-size pages: validating a page holds the GIL in one C call (~8 ms for 500
        # orders here), so smaller pages keep the GUI thread's waits short.
        return SyncService(client, self._engine, page_size=PAGE_SIZE, **self._callbacks())

    def _callbacks(self) -> dict:
        return {"on_state": self._on_state, "on_progress": self._on_progress,
                "on_synced": self._on_synced, "on_error": self._on_error}

    def _run(self) -> None:
        _lower_thread_priority()
        reason = "crashed"
        try:
            service = self._make_service()
            with self._lock:
                self._service = service
                stop_now = self._stop_requested
            if stop_now:
                reason = "stopped"
            else:
                reason = service.run()
        except Exception as exc:  # noqa: BLE001 - reported, never silent
            self._emit(self.failed, exc)
        finally:
            if reason == "auth_expired":
                self._emit(self.auth_expired, self._auth_error)
            client = getattr(self._service, "client", None)
            if client is not None and hasattr(client, "close"):
                try:
                    client.close()
                except Exception:  # noqa: BLE001 - closing sockets at shutdown
                    pass
            self._emit(self.finished, reason)

    def _on_state(self, state: str) -> None:
        self._emit(self.state_changed, state)

    def _on_progress(self, progress) -> None:
        now = time.monotonic()
        new_stream = progress.stream != self._last_stream
        if new_stream or now - self._last_progress_at >= self._interval:
            self._last_stream = progress.stream
            self._last_progress_at = now
            self._emit(self.progress, progress)

    def _on_synced(self, when) -> None:
        self._emit(self.synced, when)

    def _on_error(self, exc: Exception) -> None:
        from workstation.sync.errors import AuthExpired  # noqa: PLC0415

        if isinstance(exc, AuthExpired):
            self._auth_error = exc  # reported once the loop has ended
        else:
            self._emit(self.failed, exc)

    def _emit(self, signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the worker object is gone (application shutdown)
            pass
