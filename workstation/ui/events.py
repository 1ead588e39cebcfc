"""Cache changes as Qt events (Electrum's `QtEventListener`, Anki's `OpChanges` broadcast).

The cache writer (`models.writer.CacheWriter`) hands every non-empty `ChangeSet` to its
listeners on the writer thread. `CacheEvents` collects them, merges what arrives in a burst
(a first sync applies dozens of pages a second) and re-emits the merged set on the GUI thread
at most every `min_interval_ms`:

- `changed(ChangeSet)`: everything at once;
- for subscribers (`subscribe(pane)`): a call of `pane.on_<stream>_changed(StreamChange)` for
  each stream in the set that the pane has such a method for, and
  `pane.on_outbox_changed(frozenset[str])`. A pane that initiated the write (the set's
  `initiator`) is skipped: it already shows what it wrote. A new stream needs no change here.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workstation.models.changes import ChangeSet

log = logging.getLogger(__name__)


class CacheEvents(QObject):
    changed = Signal(object)  # ChangeSet, merged, on the GUI thread
    _kick = Signal()  # writer thread -> GUI thread (queued)

    def __init__(self, parent: QObject | None = None, *, min_interval_ms: int = 200) -> None:
        super().__init__(parent)
        self._min_interval_s = min_interval_ms / 1000
        self._lock = threading.Lock()
        self._pending: ChangeSet | None = None
        self._scheduled = False
        self._last_emit = 0.0
        self._writer = None
        self._subscribers: "weakref.WeakSet[QObject]" = weakref.WeakSet()
        self._kick.connect(self._flush)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        self.emitted = 0  # merged sets delivered (tests and benchmarks read it)

    # ---- the writer side ---------------------------------------------------------------

    def attach(self, writer) -> None:
        """Listen to `writer` (a CacheWriter); detaches from the previous one."""
        self.detach()
        self._writer = writer
        writer.add_listener(self._on_changes)

    def detach(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.remove_listener(self._on_changes)
        with self._lock:
            self._pending = None  # changes of a cache that is going away

    def _on_changes(self, changes: ChangeSet) -> None:
        """Writer thread: merge, and make sure one flush is on its way."""
        with self._lock:
            self._pending = changes if self._pending is None else self._pending.merge(changes)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._kick.emit()
        except RuntimeError:  # the GUI side is gone (shutdown)
            pass

    # ---- the GUI side ------------------------------------------------------------------

    def subscribe(self, pane: QObject) -> None:
        self._subscribers.add(pane)

    def unsubscribe(self, pane: QObject) -> None:
        self._subscribers.discard(pane)

    @Slot()
    def _flush(self) -> None:
        wait = self._last_emit + self._min_interval_s - time.monotonic()
        if wait > 0:
            if not self._timer.isActive():
                self._timer.start(int(wait * 1000) + 1)
            return
        with self._lock:
            changes, self._pending = self._pending, None
            self._scheduled = False
        if not changes:
            return
        self._last_emit = time.monotonic()
        self.emitted += 1
        self.deliver(changes)

    def deliver(self, changes: ChangeSet) -> None:
        """Emit `changes` now (GUI thread); also used for local writes made on this thread."""
        self.changed.emit(changes)
        for pane in list(self._subscribers):
            if changes.initiator is not None and changes.initiator is pane:
                continue
            for stream, change in changes.streams.items():
                handler = getattr(pane, f"on_{stream}_changed", None)
                if handler is not None:
                    self._call(handler, change)
            if changes.outbox:
                handler = getattr(pane, "on_outbox_changed", None)
                if handler is not None:
                    self._call(handler, changes.outbox)

    @staticmethod
    def _call(handler, value) -> None:
        try:
            handler(value)
        except Exception:  # noqa: BLE001 - one pane's bug must not starve the others
            log.exception("a pane failed to handle a cache change")
