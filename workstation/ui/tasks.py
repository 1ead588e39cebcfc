"""Background work for the panes: plain callables run on a private thread pool and their
results come back to the GUI thread through queued signals (the GUI never waits on I/O).

`TaskRunner.submit` runs any job; `LatestOnly` is for search-as-you-type and detail loads:
only the newest request counts, results of superseded requests are dropped.
"""
from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


# Pools of runners that were shut down, for `app.main` to wait on (bounded) at exit.
_POOLS: "weakref.WeakSet[QThreadPool]" = weakref.WeakSet()


def busy_pools() -> list[QThreadPool]:
    busy = []
    for pool in list(_POOLS):
        try:
            if pool.activeThreadCount():
                busy.append(pool)
        except RuntimeError:  # deleted with its owner: Qt waited for its threads then
            _POOLS.discard(pool)
    return busy


class Superseded(Exception):
    """A newer request replaced this one before it started."""


class _Relay(QObject):
    done = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, job_id: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job_id, self._fn, self._relay = job_id, fn, relay

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # reported to the GUI thread, never swallowed
            self._emit(self._relay.failed, exc)
        else:
            self._emit(self._relay.done, result)

    def _emit(self, signal, value) -> None:
        try:
            signal.emit(self._job_id, value)
        except RuntimeError:  # the runner was deleted during shutdown; nobody listens
            pass


class TaskRunner(QObject):
    """A small thread pool whose job results are delivered on the owner's (GUI) thread."""

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2, name: str = "tasks") -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._pool.setObjectName(name)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable | None, Callable | None]] = {}

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> int:
        job_id = next(self._ids)
        self._callbacks[job_id] = (on_done, on_error)
        self._pool.start(_Job(job_id, fn, self._relay))
        return job_id

    def busy(self) -> bool:
        return bool(self._callbacks)

    def shutdown(self) -> None:
        """Drop queued jobs; callbacks of running ones no longer fire. Returns at once (the
        GUI thread never waits on a job; `app.main` waits, bounded, once the window is gone)."""
        self._pool.clear()
        self._callbacks.clear()
        _POOLS.add(self._pool)

    def active(self) -> int:
        """Jobs running right now."""
        return self._pool.activeThreadCount()

    @Slot(int, object)
    def _on_done(self, job_id: int, result: Any) -> None:
        on_done, _ = self._callbacks.pop(job_id, (None, None))
        if on_done is not None:
            on_done(result)

    @Slot(int, object)
    def _on_failed(self, job_id: int, exc: BaseException) -> None:
        if job_id not in self._callbacks:
            return  # dropped by shutdown(): nobody waits for this answer any more
        _, on_error = self._callbacks.pop(job_id)
        if isinstance(exc, Superseded):
            return
        if on_error is not None:
            on_error(exc)
        else:
            raise exc


class LatestOnly(QObject):
    """Runs requests one after another on its own worker; only the newest one's outcome is
    delivered. A request still queued when a newer one arrives is skipped without running."""

    finished = Signal(object, object)  # request, result
    failed = Signal(object, object)  # request, exception

    def __init__(self, parent: QObject | None = None, *, name: str = "latest") -> None:
        super().__init__(parent)
        self._runner = TaskRunner(self, max_threads=1, name=name)
        self._generation = 0
        self._newest: tuple[Any, Callable[[], Any]] | None = None
        self._again = False

    @property
    def generation(self) -> int:
        return self._generation

    def submit(self, request: Any, fn: Callable[[], Any]) -> int:
        self._generation += 1
        generation = self._generation
        self._newest, self._again = (request, fn), False  # this one starts after any change so far

        def job():
            if generation != self._generation:
                raise Superseded()
            return fn()

        self._runner.submit(job, on_done=lambda result: self._deliver(generation, request, result),
                            on_error=lambda exc: self._fail(generation, request, exc))
        return generation

    def busy(self) -> bool:
        """A request is queued or running (its outcome not delivered yet)."""
        return self._runner.busy()

    def again_when_done(self) -> None:
        """Something changed that the request in flight may have read before: run it once
        more after its outcome is delivered. (Submitting now would drop that outcome, and a
        burst of changes could drop every one.) Nothing in flight: nothing to do."""
        if self.busy():
            self._again = True

    def cancel(self) -> None:
        """Forget everything in flight (its results will be dropped)."""
        self._generation += 1
        self._again = False

    def shutdown(self) -> None:
        self.cancel()
        self._runner.shutdown()

    def _deliver(self, generation: int, request: Any, result: Any) -> None:
        if generation == self._generation:
            self.finished.emit(request, result)
            self._run_again()

    def _fail(self, generation: int, request: Any, exc: BaseException) -> None:
        if generation == self._generation:
            self.failed.emit(request, exc)
            self._run_again()

    def _run_again(self) -> None:
        # (A handler of the outcome that submitted a request of its own has cleared `_again`.)
        if self._again and self._newest is not None:
            self.submit(*self._newest)
