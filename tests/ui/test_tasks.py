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


def test_a_change_during_a_read_runs_it_once_more_after_its_outcome_is_shown(qtbot):
    """`LatestOnly.again_when_done`: the read in flight (made before the change) is still
    shown, then read once more; several changes meanwhile cost one more read, not one each,
    and with nothing in flight nothing runs."""
    from workstation.ui.tasks import LatestOnly

    reader = LatestOnly()
    gate, taken, state, shown = threading.Event(), threading.Event(), {"value": "before"}, []
    reader.finished.connect(lambda _request, result: shown.append(result))

    def read():
        value = state["value"]
        taken.set()
        gate.wait(5)
        return value

    reader.again_when_done()  # idle: nothing to run again
    reader.submit("library", read)
    assert taken.wait(5)
    state["value"] = "after"  # the change, after the read took its value
    for _ in range(3):
        reader.again_when_done()
    gate.set()
    qtbot.waitUntil(lambda: len(shown) == 2 and not reader.busy(), timeout=5000)
    qtbot.wait(50)
    assert shown == ["before", "after"]
    reader.shutdown()
