"""The agent's writes from the panes: a job `fn(engine) -> ChangeSet` runs on the cache
writer (off the GUI thread, through a task runner so the answer comes back as a queued
call), then sync is woken so it is sent at once. The panes update from the change set the
write broadcasts (`ui/events.py`); `on_done` is for what only the caller knows (e.g. clear
the reply box). A failure is reported with its real reason and changes nothing."""
from __future__ import annotations

import logging
from collections.abc import Callable

from workstation.ui.errors import describe_error

log = logging.getLogger(__name__)


class WriteSubmitter:
    def __init__(self, runner, writer: Callable[[], object | None], *, after: Callable[[], None] = lambda: None,
                 report: Callable[[str], None] = lambda _text: None) -> None:
        self._runner, self._writer, self._after, self._report = runner, writer, after, report

    def __call__(self, job: Callable, *, what: str, on_done: Callable | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> bool:
        """Queue `job`; False (nothing queued) when no cache is open."""
        writer = self._writer()
        if writer is None:
            self._report(what)
            return False

        def done(changes) -> None:
            self._after()
            if on_done is not None:
                on_done(changes)

        def failed(exc: BaseException) -> None:
            log.warning("%s: %s", what, exc)
            self._report(f"{what}: {describe_error(exc)}")
            if on_error is not None:
                on_error(exc)

        self._runner.submit(lambda: writer.run(job), on_done=done, on_error=failed)
        return True
