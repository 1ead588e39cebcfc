"""Who else is looking at the open conversation (best effort, never in the way).

While a conversation is open, every `interval_ms` (~2 s) one job on a private worker tells
the server what this agent does there (`set_presence`: viewing / typing) and asks who else
is there (`presence`). Offline (no client) it skips quietly; a failed call is dropped (the
next turn tries again); never more than one call in flight. Leaving a conversation says
"idle" for it."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from workstation.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

INTERVAL_MS = 2000
TYPING_HOLD_S = 5.0  # "typing" for this long after the last key


class PresenceWatcher(QObject):
    others_changed = Signal(int, object)  # conversation id, [Presence(agent_no, display_name, state, since)]

    def __init__(self, client: Callable[[], object | None], parent: QObject | None = None, *,
                 interval_ms: int = INTERVAL_MS, clock: Callable[[], float] = time.monotonic) -> None:
        """`client()`: a `StoreClient` to use from the worker, or None while offline."""
        super().__init__(parent)
        self._client = client
        self._clock = clock
        self._runner = TaskRunner(self, max_threads=1, name="presence")
        self._conversation_id: int | None = None
        self._typed_at = -1e9
        self._in_flight = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self.polls = 0

    @property
    def conversation_id(self) -> int | None:
        return self._conversation_id

    def watch(self, conversation_id: int | None) -> None:
        previous = self._conversation_id
        if previous == conversation_id:
            return
        self._conversation_id = conversation_id
        self._typed_at = -1e9
        if previous is not None:
            self._send_idle(previous)
        self.others_changed.emit(previous or 0, [])
        if conversation_id is None:
            self.timer.stop()
            return
        self.timer.start()
        self.poll()

    def typed(self) -> None:
        was_typing = self.state() == "typing"
        self._typed_at = self._clock()
        if not was_typing:
            self.poll()  # a colleague learns at once, not at the next turn

    def state(self) -> str:
        return "typing" if self._clock() - self._typed_at < TYPING_HOLD_S else "viewing"

    def poll(self) -> None:
        conversation_id = self._conversation_id
        if conversation_id is None or self._in_flight:
            return
        client = self._client()
        if client is None:
            return  # offline: presence is best effort
        state = self.state()
        self._in_flight = True
        self.polls += 1

        def job():
            client.set_presence(conversation_id, state)
            return client.presence(conversation_id)

        self._runner.submit(job, on_done=lambda others: self._on_others(conversation_id, others),
                            on_error=self._on_failed)

    def shutdown(self) -> None:
        self.timer.stop()
        self._runner.shutdown()

    def _send_idle(self, conversation_id: int) -> None:
        client = self._client()
        if client is not None:
            self._runner.submit(lambda: client.set_presence(conversation_id, "idle"), on_error=lambda _e: None)

    def _on_others(self, conversation_id: int, others) -> None:
        self._in_flight = False
        if conversation_id == self._conversation_id:
            self.others_changed.emit(conversation_id, list(others or []))

    def _on_failed(self, exc: BaseException) -> None:
        self._in_flight = False
        log.debug("presence skipped: %s", exc)
