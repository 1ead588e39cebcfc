"""What an installed desktop app must do: log to a rotating file without secrets, report
unhandled exceptions, run once per user, remember its layout, say which version it is."""
from __future__ import annotations

import logging
import threading
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMainWindow, QPushButton, QSplitter, QWidget

from workstation import logsetup
from workstation.version import __version__

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def logging_to(data_dir):
    path = logsetup.setup_logging(max_bytes=2_000, backup_count=2)
    yield path
    logsetup.teardown_logging()


def _read(path: Path) -> str:
    for h in logging.getLogger().handlers:
        h.flush()
    return path.read_text(encoding="utf-8")


# --- logging -------------------------------------------------------------------------------
def test_log_file_lives_in_the_user_log_folder_and_rotates(logging_to, data_dir):
    assert logging_to == data_dir / "logs" / "workstation.log"
    log = logging.getLogger("workstation.test")
    for i in range(100):
        log.info("line %03d %s", i, "x" * 40)
    assert "line 099" in _read(logging_to)
    assert (data_dir / "logs" / "workstation.log.1").exists()
    assert (data_dir / "logs" / "workstation.log.2").exists()
    assert not (data_dir / "logs" / "workstation.log.3").exists()  # bounded


def test_log_masks_tokens_passwords_and_authorization_headers(logging_to):
    log = logging.getLogger("workstation.sync")
    log.info("headers %s", {"Authorization": "Bearer s3cr3t-t0ken.abc", "Accept": "application/json"})
    log.info("login body: %s", '{"login": "agent7", "password": "hunter2-pw"}')
    log.warning("retrying GET /changes?cursor=abc&access_token=tok-in-url-42")
    try:
        raise RuntimeError("server said 401 for token=expired-token-99")
    except RuntimeError:
        log.exception("request failed")
    text = _read(logging_to)
    for secret in ("s3cr3t-t0ken", "hunter2-pw", "tok-in-url-42", "expired-token-99"):
        assert secret not in text
    assert "agent7" in text and "application/json" in text and "cursor=abc" in text
    assert "Traceback" in text and "RuntimeError" in text


def test_redact_leaves_ordinary_text_alone():
    assert logsetup.redact("3 tokens remaining; password was wrong") == "3 tokens remaining; password was wrong"


# --- unhandled exceptions ------------------------------------------------------------------
@pytest.fixture
def crash_handler(qapp, logging_to):
    from workstation.ui.crash import CrashHandler

    handler = CrashHandler(logging_to)
    handler.install()
    yield handler
    handler.uninstall()
    if handler.dialog is not None:
        import shiboken6

        if shiboken6.isValid(handler.dialog):
            handler.dialog.close()


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_slot_is_logged_and_shown_and_the_app_keeps_running(qtbot, crash_handler, logging_to):
    button = QPushButton("boom")
    qtbot.addWidget(button)

    def broken_slot():
        raise ValueError("the order table broke, password=pw-in-message")

    button.clicked.connect(broken_slot)
    with qtbot.waitSignal(crash_handler.dialog_shown, timeout=5000) as shown:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = shown.args[0]
    assert dialog.isVisible() and not dialog.isModal()
    assert str(logging_to) in dialog.informativeText()
    assert "the order table broke" in dialog.text()
    assert "broken_slot" in dialog.detailedText() and "pw-in-message" not in dialog.detailedText()
    text = _read(logging_to)
    assert "Unhandled exception" in text and "broken_slot" in text and "ValueError" in text
    assert "pw-in-message" not in text
    dialog.continue_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert button.isEnabled()  # still usable


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_worker_thread_is_logged_and_shown_on_the_gui_thread(qtbot, crash_handler, logging_to):
    def work():
        raise KeyError("missing-sku")

    worker = threading.Thread(target=work, name="sync-worker")
    with qtbot.waitSignal(crash_handler.dialog_shown, timeout=5000) as shown:
        worker.start()
        worker.join()
    dialog = shown.args[0]
    assert dialog.thread() is QCoreApplication.instance().thread()
    assert "missing-sku" in dialog.text()
    text = _read(logging_to)
    assert "thread sync-worker" in text and "KeyError" in text
    dialog.close()


@pytest.mark.qt_no_exception_capture
def test_a_burst_of_errors_opens_one_dialog(qtbot, crash_handler):
    import sys

    for i in range(5):
        try:
            raise RuntimeError(f"error {i}")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: crash_handler.dialog is not None)
    qtbot.wait(50)
    dialogs = [w for w in QCoreApplication.instance().topLevelWidgets()
               if w.objectName() == "crashDialog" and w.isVisible()]
    assert len(dialogs) == 1 and crash_handler.caught == 5


# --- single instance -----------------------------------------------------------------------
def test_second_launch_raises_the_first_window_and_does_not_start(qtbot, data_dir):
    from workstation.ui.single_instance import (Notified, SingleInstanceServer, bring_to_front,
                                                notify_running_instance, server_name)

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    window.showMinimized()
    server = SingleInstanceServer()
    assert server.listen()
    server.activate_requested.connect(lambda argv: bring_to_front(window))
    try:
        # The second launch: the real app started again, as another process, same user and
        # data folder. It must hand over to this one and exit without opening a window.
        import os
        import subprocess
        import sys

        second = subprocess.Popen([sys.executable, "-m", "workstation", "--lang", "en"],
                                  cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        with qtbot.waitSignal(server.activate_requested, timeout=20000) as request:
            pass
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=20000)
        output = second.communicate()[0]
        assert second.returncode == 0, output
        assert request.args == [["--lang", "en"]]
        assert window.isVisible() and not window.isMinimized()
    finally:
        server.close()
    assert notify_running_instance() is Notified.NO_OTHER_INSTANCE
    assert server_name() != server_name("Other")


def test_stale_socket_of_a_crashed_run_is_replaced(qtbot, data_dir):
    import socket as pysocket
    import sys

    from workstation.ui.single_instance import (Notified, SingleInstanceServer, notify_running_instance,
                                                server_name)

    if sys.platform == "win32":
        pytest.skip("named pipes vanish with their process on Windows")
    from PySide6.QtCore import QDir

    stale = Path(QDir.tempPath()) / server_name()
    sock = pysocket.socket(pysocket.AF_UNIX)  # a socket file nobody listens on: a crashed run
    sock.bind(str(stale))
    sock.close()
    try:
        assert stale.exists()
        assert notify_running_instance() is Notified.NO_OTHER_INSTANCE
        server = SingleInstanceServer()
        assert server.listen()
        server.close()
    finally:
        stale.unlink(missing_ok=True)


# --- window state --------------------------------------------------------------------------
def _window():
    window = QMainWindow()
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.setObjectName("workspace")
    for _ in range(3):
        splitter.addWidget(QWidget())
    window.setCentralWidget(splitter)
    return window, splitter


def test_window_geometry_and_splitters_round_trip(qtbot, data_dir):
    from workstation.ui.window_state import (restore_window_state, save_window_state, window_state_path,
                                             window_state_settings)

    first, splitter = _window()
    qtbot.addWidget(first)
    first.setGeometry(40, 50, 640, 420)  # inside the offscreen 800x600 screen
    first.show()
    qtbot.waitExposed(first)
    total = sum(splitter.sizes())
    splitter.setSizes([100, total - 300, 200])
    sizes = splitter.sizes()
    assert sizes[0] == 100
    save_window_state(window_state_settings(), first)
    assert window_state_path() == data_dir / "window-state.ini"

    second, splitter2 = _window()
    qtbot.addWidget(second)
    assert restore_window_state(window_state_settings(), second)
    second.show()
    qtbot.waitExposed(second)
    assert splitter2.sizes() == sizes, (splitter2.sizes(), sizes, second.size())
    assert (second.width(), second.height()) == (640, 420)


def test_no_saved_state_changes_nothing(qtbot, data_dir):
    from workstation.ui.window_state import restore_window_state, window_state_settings

    window, _ = _window()
    qtbot.addWidget(window)
    window.resize(700, 500)
    assert not restore_window_state(window_state_settings(), window)
    assert (window.width(), window.height()) == (700, 500)


# --- about / version -------------------------------------------------------------------------
def test_about_shows_the_pyproject_version_and_the_folders(qtbot, data_dir):
    from workstation.ui.about import AboutDialog

    with open(ROOT / "pyproject.toml", "rb") as f:
        expected = tomllib.load(f)["project"]["version"]
    assert __version__ == expected
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.version_label.text() == expected
    assert str(data_dir) in dialog.data_dir_label.text()
    assert str(data_dir / "logs") in dialog.log_dir_label.text()
    details = dialog.details_text()
    assert f"Workstation {expected}" in details and "Qt " in details and "Python " in details
    dialog.copy_details()
    assert QCoreApplication.instance().clipboard().text() == details


def test_version_tuple_for_windows_resources():
    from workstation.version import version_tuple

    assert version_tuple("1.2.3") == (1, 2, 3, 0)
    assert version_tuple("2.0.0rc1") == (2, 0, 0, 0)
    assert version_tuple("1.4.dev3+g123") == (1, 4, 0, 0)
