"""Runs `workstation.sync.service.SyncService` on a QThread and re-emits its plain callbacks
as Qt signals (delivered on the GUI thread). Progress is throttled: the GUI hears at most a
few updates per second however fast pages arrive. (What the pages changed reaches the panes
through the cache writer's listeners, `ui/events.py`, not through here.)

The GUI thread never waits for the thread: `stop()` asks and returns. The QThread has no Qt
parent and stays referenced (`running_threads`) until it has finished, so it is never
destroyed while running, whatever happens to the window; `app.main` waits for the leftovers
(bounded) only after the window is gone."""
from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal


PAGE_SIZE = 500

# Threads not finished yet (kept alive until they are; see the module docstring).
_RUNNING: set[QThread] = set()


def running_threads() -> list[QThread]:
    return [t for t in list(_RUNNING) if t.isRunning()]


def wait_for_threads(deadline: float) -> None:
    """Only after the window is gone (exit): give the threads asked to stop until `deadline`
    (time.monotonic()) to end. A QThread destroyed while running is fatal in Qt."""
    for thread in running_threads():
        thread.wait(max(0, int((deadline - time.monotonic()) * 1000)))


def _wait_at_exit(grace_ms: int = 3000) -> None:
    wait_for_threads(time.monotonic() + grace_ms / 1000)


atexit.register(_wait_at_exit)


def _retire(thread: QThread) -> None:
    _RUNNING.discard(thread)
    thread.deleteLater()


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
    finished = Signal(str)  # the loop's exit reason: stopped / auth_expired (/ crashed: a bug
    # outside the loop, e.g. while making the client; the loop itself restarts after bugs)

    def __init__(self, server_url: str, token: str, writer, parent: QObject | None = None, *,
                 progress_interval_s: float = 0.25, service_factory: Callable | None = None) -> None:
        super().__init__(parent)
        self._server_url = server_url
        self._token = token
        self._writer = writer
        self._interval = progress_interval_s
        self._service_factory = service_factory
        self._service = None
        self._lock = threading.Lock()
        self._stop_requested = False
        self._last_progress_at = 0.0
        self._last_stream = None
        self._auth_error = None
        self._thread = _Thread(self._run)  # no parent: see the module docstring
        self._thread.setObjectName("sync")
        thread = self._thread
        # Not a method of this object: the worker may be deleted before its thread ends.
        thread.finished.connect(lambda: _retire(thread))

    def start(self) -> None:
        _RUNNING.add(self._thread)
        self._thread.start(QThread.Priority.LowPriority)

    def is_running(self) -> bool:
        return self._thread.isRunning()

    @property
    def thread(self) -> QThread:
        return self._thread

    def stop(self) -> None:
        """Ask the loop to end (aborts a request in flight). Returns at once; `finished`
        follows when the thread is done."""
        with self._lock:
            self._stop_requested = True
            service = self._service
        if service is not None:
            service.stop()

    def wake(self, streams: set[str] | None = None) -> None:
        """Sync now ("sync now", a local write, a live event for `streams`)."""
        with self._lock:
            service = self._service
        if service is not None:
            service.wake(streams)


    # worker thread ------------------------------------------------------------
    def _make_service(self):
        if self._service_factory is not None:
            return self._service_factory(self._server_url, self._token, self._writer, self._callbacks())
        from workstation.sync.client import StoreClient  # noqa: PLC0415 (lazy: requests)
        from workstation.sync.service import SyncService  # noqa: PLC0415

        client = StoreClient(self._server_url, token=self._token)
        # Half-size pages: validating a page holds the GIL in one C call (~8 ms for 500
        # orders here), so smaller pages keep the GUI thread's waits short.
        return SyncService(client, self._writer, page_size=PAGE_SIZE, **self._callbacks())

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
            if self._service is not None:
                self._service.client.close()  # closes sockets only; does not raise
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
