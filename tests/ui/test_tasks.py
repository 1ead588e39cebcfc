"""Background jobs: after shutdown (sign-out, closing) their late failures are dropped, not
raised into the event loop as if they were bugs."""
from __future__ import annotations

import threading

from workstation.ui.tasks import TaskRunner


def test_a_job_failing_after_shutdown_is_dropped(qtbot):
    runner = TaskRunner(max_threads=1)
    gate = threading.Event()
    seen = []

    def job():
        gate.wait(5)
        raise ConnectionError("the network went away meanwhile")

    runner.submit(job, on_error=seen.append)
    runner.shutdown()  # the window closed while the job still ran
    gate.set()
    qtbot.waitUntil(lambda: runner.active() == 0, timeout=5000)
    qtbot.wait(50)  # the queued failure is delivered (and must be dropped) now
    assert seen == []
