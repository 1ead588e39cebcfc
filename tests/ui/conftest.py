"""UI fixtures: the real application objects (window + session) over a private data folder."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from workstation.app import build, show

STRONG_PASSWORD = "Zq7!tide-Mango-42"


@pytest.fixture
def launch(qtbot, data_dir):
    """`launch()` builds and shows the workstation like `app.main` does (English UI); every
    window is closed (its session stopped) at the end of the test."""
    started = []

    def _launch(direct=None, **session_options):
        running = build(QApplication.instance(), lang="en", session_options=session_options or None)
        qtbot.addWidget(running.window)
        show(running, direct=direct)
        started.append(running)
        return running

    yield _launch
    app = QApplication.instance()
    for running in started:
        running.window.close()
        for translator in running.translators:
            app.removeTranslator(translator)
    QLocale.setDefault(QLocale("en_US"))


@pytest.fixture
def agent(store):
    """A second agent of the demo shop with a strong, easy-to-find password."""
    from storeserver import ops

    ops.create_agent(store.engine, store.shop_id, "amy", STRONG_PASSWORD, "李小美", "2048")
    return "amy", STRONG_PASSWORD


def dialog_of(running):
    return running.session.dialog


def wait_for_dialog(qtbot, running, timeout=10_000):
    qtbot.waitUntil(lambda: running.session.dialog is not None and running.session.dialog.isVisible(),
                    timeout=timeout)
    return running.session.dialog


def sign_in(qtbot, running, url, login, password, *, remember=True):
    from PySide6.QtCore import Qt

    d = wait_for_dialog(qtbot, running)
    d.server_url.setText(url)
    d.login.setText(login)
    d.password.setText(password)
    d.remember.setChecked(remember)
    qtbot.mouseClick(d.sign_in_button, Qt.MouseButton.LeftButton)
    return d


def wait_online(qtbot, running, timeout=30_000):
    qtbot.waitUntil(lambda: running.window.status.state == "online", timeout=timeout)


def wait_background_done(qtbot, running, timeout=15_000):
    """Closing only asks background work to stop (the GUI never waits): wait here until the
    sync thread, the session's jobs and the cache writer have all finished."""
    from workstation.ui.sync_worker import running_threads
    from workstation.ui.tasks import busy_pools

    cache = running.session.cache or getattr(running.session, "last_cache", None)
    qtbot.waitUntil(lambda: not running_threads() and not busy_pools()
                    and (cache is None or cache.writer.idle()), timeout=timeout)
