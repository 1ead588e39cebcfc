"""`workstation --smoke`: prove that this build starts, then exit.

Used by CI on the frozen build (`workstation-debug --smoke`), by the installer test (the
installed copy), and by support on an agent's machine. Checks what an installed app needs
at run time and a broken build most often lacks: the cache migrations (Alembic scripts
shipped as files), the SQLite dialect, the keychain backend, translations, the Qt platform
plugin, and the main window itself. Touches nothing of the user's: the cache is a
throwaway file under the data folder, deleted afterwards; the session (keychain, network)
is not started. Exit 0 when everything passed, 1 with a message naming the failed check.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QLibraryInfo, QTranslator
from PySide6.QtWidgets import QApplication

from workstation.userdirs import data_dir

log = logging.getLogger("workstation.smoke")
EVENT_SECONDS = 0.5


class SmokeFailure(Exception):
    pass


def prepare_environment() -> None:
    """Before the QApplication: without a display (Linux CI), use the offscreen platform.
    On Windows the real platform plugin is used, so its presence in the build is tested."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def check_cache() -> str:
    from workstation.models import db

    folder = data_dir() / "smoke"
    path = folder / f"smoke-{os.getpid()}.sqlite"
    try:
        cache = db.open_cache(path)
        try:
            with cache.engine.connect() as conn:
                raw = conn.connection.driver_connection
                revision = raw.execute("SELECT version_num FROM alembic_version").fetchone()[0]
                raw.execute("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH ?", ('"abc"',)).fetchone()
        finally:
            cache.close()
        if revision != db.HEAD_REVISION:
            raise SmokeFailure(f"cache migrated to {revision!r}, expected {db.HEAD_REVISION!r}")
        return revision
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:
            pass


def check_keyring() -> str:
    import keyring

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    frozen = getattr(sys, "frozen", False)
    if sys.platform == "win32" and frozen and "PYTHON_KEYRING_BACKEND" not in os.environ:
        backends = getattr(backend, "backends", [backend])  # the chainer wraps several
        if not any(type(b).__module__ == "keyring.backends.Windows" for b in backends):
            raise SmokeFailure(f"the Windows Credential Manager backend is missing (got {name})")
    return name


def check_translations() -> None:
    from workstation.ui.i18n import SUPPORTED, resources_dir

    for language in SUPPORTED:
        if not QTranslator().load(f"workstation_{language}", str(resources_dir() / "i18n")):
            raise SmokeFailure(f"translation workstation_{language}.qm not found in {resources_dir()}")
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not QTranslator().load("qtbase_zh_CN", qt_dir):
        raise SmokeFailure(f"Qt's own Chinese translation (qtbase_zh_CN.qm) is missing from {qt_dir}")


def process_events(seconds: float = EVENT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def run_smoke(app: QApplication, build_window, crash_handler=None) -> int:
    """Run every check; `build_window()` returns the (not yet shown) main window."""
    from workstation.version import __version__

    from workstation.ui.window_state import use_window_state_file

    steps: list[tuple[str, object]] = []
    scratch = data_dir() / "smoke"
    state_file = scratch / f"window-state-{os.getpid()}.ini"
    use_window_state_file(state_file)
    try:
        steps.append(("version", __version__))
        steps.append(("cache", check_cache()))
        steps.append(("keyring", check_keyring()))
        check_translations()
        steps.append(("translations", "ok"))
        window = build_window()
        window.show()
        process_events()
        if not window.isVisible():
            raise SmokeFailure("the main window did not show")
        steps.append(("window", f"{window.width()}x{window.height()} on {app.platformName()}"))
        window.close()
        process_events(0.1)
        if crash_handler is not None and crash_handler.caught:
            raise SmokeFailure(f"{crash_handler.caught} unhandled exception(s) while the window ran (see the log)")
    except Exception as exc:
        log.exception("smoke test failed")
        _say(f"SMOKE FAILED: {type(exc).__name__}: {exc}")
        return 1
    finally:
        use_window_state_file(None)
        state_file.unlink(missing_ok=True)
        try:
            scratch.rmdir()
        except OSError:
            pass
    for name, value in steps:
        log.info("smoke %s: %s", name, value)
    _say("SMOKE OK " + " ".join(f"{k}={v}" for k, v in steps))
    return 0


def _say(text: str) -> None:
    if sys.stdout is not None:  # the windowed exe has no console
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
