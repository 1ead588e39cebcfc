"""The one writer of a cache file.

Every write to the cache (sync pages, stream reloads, sync attempts, and from the outbox
issue on the agent's own writes) runs as a job on ONE thread. SQLite allows one writer at a
time anyway; serialising the jobs here means no two transactions ever wait on each other
through `busy_timeout`, a write never fails with "database is locked", and the order in which
writes were asked for is the order in which they commit. Reads use their own pooled
connections (WAL: readers never block the writer, nor the writer them).

A job is any `fn(engine, *args, **kwargs)` returning a `ChangeSet` or anything else. A
non-empty `ChangeSet` result is handed to every listener (on the writer thread, after the
commit) before the job's future resolves: that is how panes learn what changed, whoever
made the change.

No Qt here; the UI adapts listener calls to signals (`ui/events.py`).
"""
from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine

from workstation.models.changes import ChangeSet
from workstation.models.db import CacheError

log = logging.getLogger(__name__)

T = TypeVar("T")
Listener = Callable[[ChangeSet], None]


_OPEN: "weakref.WeakSet[CacheWriter]" = weakref.WeakSet()


def busy_writers() -> list["CacheWriter"]:
    """Writers with jobs still queued or running (for a bounded wait at exit)."""
    return [w for w in list(_OPEN) if not w.idle()]


class CacheClosed(CacheError):
    """The cache was closed (sign-out, shutdown): the write was not made."""


class CacheWriter:
    def __init__(self, engine: Engine, *, name: str = "cache-writer") -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._pending = 0
        self._closed = False
        self._thread_id: int | None = None
        _OPEN.add(self)
        # Learn the writer thread's id at once, so `on_writer_thread` is exact from the start.
        self._pool.submit(self._remember_thread).result()

    def _remember_thread(self) -> None:
        self._thread_id = threading.get_ident()

    # ---- jobs ----------------------------------------------------------------------------

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Queue `fn(engine, *args, **kwargs)`; its future gives the result or the exception."""
        with self._lock:
            if self._closed:
                raise CacheClosed("the cache is closed; the write was not made")
            self._pending += 1
        try:
            return self._pool.submit(self._run, fn, args, kwargs)
        except RuntimeError as exc:  # the pool shut down between the check and the submit
            with self._lock:
                self._pending -= 1
            raise CacheClosed("the cache is closed; the write was not made") from exc

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a job and wait for it. For worker threads only (sync, tasks), never the GUI
        thread. Called from the writer thread itself, it runs inline."""
        if self.on_writer_thread():
            return fn(self.engine, *args, **kwargs)
        return self.submit(fn, *args, **kwargs).result()

    def _run(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        try:
            result = fn(self.engine, *args, **kwargs)
            if isinstance(result, ChangeSet) and result:
                self._notify(result)
            return result
        finally:
            with self._lock:
                self._pending -= 1

    # ---- listeners -----------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self, changes: ChangeSet) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(changes)
            except Exception:  # noqa: BLE001 - a listener's bug must not undo a committed write
                log.exception("a change listener failed")

    # ---- lifetime ------------------------------------------------------------------------

    def on_writer_thread(self) -> bool:
        return threading.get_ident() == self._thread_id

    @property
    def thread_id(self) -> int | None:
        return self._thread_id

    def idle(self) -> bool:
        """No job queued or running."""
        with self._lock:
            return self._pending == 0

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, *, wait: bool = False, then: Callable[[Engine], None] | None = None) -> None:
        """Refuse new jobs; the queued ones still run (a write asked for is a write made),
        then `then(engine)` (e.g. dispose it) as the very last job. `wait=False` returns at
        once (the GUI thread never waits on it)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._listeners.clear()
            if then is not None:
                self._pending += 1
        if then is not None:
            self._pool.submit(self._run, then, (), {})
        self._pool.shutdown(wait=wait)
