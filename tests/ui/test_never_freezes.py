"""The session through the real window against a live store behind a misbehaving loopback
link: signing out, the session expiring and closing the window while the network hangs
keep the event loop turning; "sync now" syncs at once; a bug in sync reaches the status bar
and sync starts again; a failure is remembered across a restart; nothing is re-queried
while nothing changes."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QTimer

from tests.sync.chaos import Chaos, target_of
from tests.ui.conftest import sign_in, wait_background_done, wait_online

# A frozen GUI thread shows up as a gap between timer ticks; a stall of this size would be an
# agent's window not answering (the benchmark bench/stall.py measures the real figure).
FROZEN_MS = 400


class StallMeter:
    def __init__(self) -> None:
        self.worst = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, (now - self._last) * 1000)
        self._last = now

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


@pytest.fixture
def link(store):
    with Chaos(target_of(store.url)) as chaos:
        yield chaos


def _online(qtbot, launch, store, link):
    running = launch()
    sign_in(qtbot, running, link.url, store.login, store.password, remember=True)
    wait_online(qtbot, running)
    return running


@pytest.mark.parametrize("action", ["sign_out", "expire", "close"])
def test_the_window_never_freezes_while_the_network_hangs(qtbot, launch, store, link, action):
    running = _online(qtbot, launch, store, link)
    link.set_mode("hang")  # every request from now on waits forever
    qtbot.wait(300)  # let the long poll in flight be the only open request
    meter = StallMeter()
    if action == "sign_out":
        running.window.sign_out_requested.emit()
    elif action == "expire":
        running.session.expire()
    else:
        running.window.close()
    qtbot.wait(1500)  # the event loop keeps turning meanwhile
    worst = meter.stop()
    assert worst < FROZEN_MS, f"the GUI thread stalled {worst:.0f} ms after {action}"
    if action != "close":
        assert running.session.dialog is not None and running.session.dialog.isVisible()
    link.set_mode("pass")  # let the hanging requests end
    running.window.close()
    wait_background_done(qtbot, running, timeout=20_000)


def test_sync_now_pulls_at_once_and_nothing_is_requeried_while_nothing_changes(qtbot, launch, store, link):
    running = _online(qtbot, launch, store, link)
    lookup = running.window.lookup
    qtbot.wait(500)
    before = lookup.queries_issued
    for _ in range(3):
        # Far inside the 25 s long poll: only the wake-up can make this sync happen.
        with qtbot.waitSignal(running.session.last_synced_changed, timeout=8_000):
            running.window.status.sync_now.click()
    qtbot.wait(300)
    assert lookup.queries_issued == before  # empty pages: no search, no detail reload


def test_a_bug_in_sync_reaches_the_status_bar_and_sync_starts_again(qtbot, launch, store, link, monkeypatch):
    import workstation.sync.puller as puller
    import workstation.sync.service as service

    monkeypatch.setattr(service, "BUG_BACKOFF_FIRST_S", 0.3)
    real = puller.apply_snapshot_page
    calls = {"n": 0}

    def buggy(engine, stream, *args, **kw):
        if stream == "orders":
            calls["n"] += 1
            if calls["n"] == 1:
                raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")
        return real(engine, stream, *args, **kw)

    monkeypatch.setattr(puller, "apply_snapshot_page", buggy)
    running = launch()
    sign_in(qtbot, running, link.url, store.login, store.password)
    status = running.window.status
    qtbot.waitUntil(lambda: "internal error" in status.message.text(), timeout=30_000)
    assert "TypeError" in status.message.text()
    wait_online(qtbot, running)  # ... and sync came back by itself


def test_the_last_sync_failure_is_shown_again_after_a_restart(qtbot, launch, store, link):
    first = _online(qtbot, launch, store, link)
    link.set_mode("down")
    qtbot.waitUntil(lambda: first.window.status.state == "offline", timeout=30_000)
    first.window.close()
    wait_background_done(qtbot, first)

    second = launch()  # remembered sign-in, the server still out of reach
    status = second.window.status
    qtbot.waitUntil(lambda: "Last sync failed at" in status.last_sync.toolTip(), timeout=20_000)
    assert "server_unreachable" in status.last_sync.toolTip()
