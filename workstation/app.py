"""Application entry: `main(argv)` builds the QApplication, then the window, in small steps
that other parts (logging, crash dialog, single instance, --smoke) can hook into.

Start-up stays light: SQLAlchemy, requests and keyring are imported by background jobs
after the window is on screen, never on the way to the first frame.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from workstation.userdirs import APP_NAME

READY_ENV = "WORKSTATION_REPORT_READY"  # benchmarks: print a line once interactive


@dataclass
class Running:
    """What `build` made; kept together so tests and tools can drive it."""

    app: QApplication
    settings: object
    window: object
    session: object
    language: str
    translators: list = field(default_factory=list)
    remarks: object = None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="workstation", description="Customer-service workstation")
    parser.add_argument("--lang", choices=["zh_CN", "en"], help="interface language (default: setting, then system)")
    parser.add_argument("--data-dir", help="folder for settings and caches (default: the user data folder)")
    parser.add_argument("--smoke", action="store_true",
                        help="check that this build starts (cache, keychain, translations, window), then exit")
    args, _qt_args = parser.parse_known_args(list(argv))
    return args


def create_application(argv: Sequence[str]) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv))
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(QCoreApplication.translate("App", "Workstation"))
    return app


def build(app: QApplication, *, lang: str | None = None, session_options: dict | None = None) -> Running:
    """Settings, translations, the window and its session controller (not shown yet)."""
    from workstation.settings import Settings
    from workstation.ui.i18n import install_translators, resolve_language
    from workstation.ui.main_window import MainWindow
    from workstation.ui.session import SessionController

    settings = Settings()
    language = resolve_language(lang or settings.language)
    translators = install_translators(app, language)
    app.setApplicationDisplayName(QCoreApplication.translate("App", "Workstation"))
    window = MainWindow(settings, language=language)
    session = SessionController(settings, window, **(session_options or {}))
    wire(window, session)
    from workstation.ui.remark_controller import RemarkController

    remarks = RemarkController(session, window.lookup, window.outbox, window.status, window)
    return Running(app=app, settings=settings, window=window, session=session, language=language,
                   translators=translators, remarks=remarks)


def wire(window, session) -> None:
    """Connect the session's signals to the panes (the window only composes)."""
    lookup, status = window.lookup, window.status
    session.engine_changed.connect(lookup.set_engine)
    session.identity_changed.connect(window.set_identity)
    session.connection_changed.connect(status.set_connection)
    session.last_synced_changed.connect(status.set_last_synced)
    session.last_synced_changed.connect(lookup.set_last_synced)
    session.first_sync_progress.connect(status.set_first_sync_progress)
    session.cache_upgrade_progress.connect(status.set_cache_upgrade_progress)
    session.first_sync_progress.connect(lookup.set_first_sync_progress)
    session.last_failure_changed.connect(status.set_last_failure)
    session.order_count_changed.connect(status.set_order_count)
    session.events.subscribe(lookup)  # on_orders_changed: refreshes only what changed
    session.engine_changed.connect(window.stock.set_engine)
    session.last_synced_changed.connect(window.stock.set_last_synced)
    session.events.subscribe(window.stock)  # on_stock_changed / on_products_changed / …
    wire_conversations(window, session)
    session.message.connect(lambda text, error: status.set_message(text, error=error))
    session.quit_requested.connect(window.close)
    window.sign_in_requested.connect(lambda: session.show_sign_in())
    window.sign_out_requested.connect(session.sign_out)
    window.sync_now_requested.connect(session.sync_now)
    window.closing.connect(session.shutdown)

    def choose_language(code: str) -> None:
        window.settings.language = code
        window.settings.sync()
        status.set_message(QCoreApplication.translate("App", "The language changes at the next start."))

    window.language_chosen.connect(choose_language)


def wire_conversations(window, session) -> None:
    """The queue, the open conversation and the buyer panel: the engine, the agent, the
    agent's writes and the cache's change sets (a new buyer message reaches the queue in
    the first flush of `CacheEvents`, without waiting for a merge window)."""
    from workstation.ui.presence import PresenceWatcher  # noqa: PLC0415

    queue, conversation, buyer = window.queue, window.conversation, window.buyer
    for pane in (queue, conversation, buyer):
        session.engine_changed.connect(pane.set_engine)
        session.events.subscribe(pane)

    def agent_changed(identity) -> None:
        agent_no = identity.agent_no if identity is not None else ""
        queue.set_agent(agent_no)
        conversation.set_identity(identity)
        buyer.set_agent(agent_no)

    session.identity_changed.connect(agent_changed)
    conversation.set_submit_write(session.submit_write)
    buyer.set_submit_write(session.submit_write)
    from workstation.ui.agent_status import AgentStatusMenu  # noqa: PLC0415

    status_menu = AgentStatusMenu(window.agent_menu, submit_write=session.submit_write,
                                  before=window.sync_now_action, parent=window)
    window.agent_status = status_menu
    session.engine_changed.connect(status_menu.set_engine)
    session.identity_changed.connect(status_menu.set_agent)
    session.events.subscribe(status_menu)
    conversation.attach_presence(PresenceWatcher(session.presence_client, conversation))


def show(running: Running, *, direct: tuple[str, str, str] | None = None) -> None:
    """Show the window with the search field focused, then start the session on the first
    event-loop turn (keychain, cache and network all run in the background)."""
    window = running.window
    hold_full_collections()
    window.restore_layout()
    window.show()
    window.lookup.focus_search()
    if os.environ.get(READY_ENV):
        QTimer.singleShot(0, lambda: _report("WORKSTATION_READY"))
        running.session.engine_changed.connect(
            lambda engine: engine is not None and _report("WORKSTATION_CACHE_OPEN"))
    QTimer.singleShot(0, lambda: running.session.start(direct=direct))
    QTimer.singleShot(0, tune_runtime)
    running.session.engine_changed.connect(_freeze_after_background_imports)


def tune_runtime() -> None:
    """Keep the GUI thread responsive while worker threads run Python code.

    - A shorter GIL switch interval: a busy sync thread hands the GIL back to the GUI thread
      after 0.5 ms instead of 5 ms.
    - `gc.freeze()` once start-up is done (and again once the cache and sync modules are
      loaded): the long-lived objects of Qt, SQLAlchemy, pydantic... leave the collected
      generations, so a full collection triggered by the sync's allocations stays short.
    """
    sys.setswitchinterval(0.0005)
    gc.freeze()


# Full (oldest-generation) collections are held off from the first frame until the
# background start-up work has imported its modules (then they are frozen) or, at the latest,
# for this long (e.g. while the sign-in dialog waits for the agent).
FULL_COLLECTION_HOLD_MS = 120_000
_NO_FULL_COLLECTIONS = 1 << 30
_held_threshold: int | None = None


def hold_full_collections() -> None:
    """Hold off full garbage collections while background jobs import SQLAlchemy, Alembic,
    pydantic, requests... (hundreds of thousands of new objects).

    Those imports trigger full collections, and one full collection walks every object not
    frozen yet while holding the GIL: 30-45 ms on the import thread during which the GUI
    thread (typing, painting) cannot run a line of Python. Young collections still run;
    `_freeze_after_background_imports` freezes the imported modules' objects and restores the
    threshold, so the later full collections only walk what the session itself creates.
    """
    global _held_threshold
    if _held_threshold is not None:
        return
    g0, g1, g2 = gc.get_threshold()
    _held_threshold = g2
    gc.set_threshold(g0, g1, _NO_FULL_COLLECTIONS)
    QTimer.singleShot(FULL_COLLECTION_HOLD_MS, _release_if_still_held)


def release_full_collections() -> None:
    """Freeze what exists now (modules, window, caches) and let full collections run again."""
    global _held_threshold
    gc.freeze()
    if _held_threshold is not None:
        g0, g1, _ = gc.get_threshold()
        gc.set_threshold(g0, g1, _held_threshold)
        _held_threshold = None


def _release_if_still_held() -> None:
    if _held_threshold is not None:
        release_full_collections()


def _freeze_after_background_imports(engine) -> None:
    if engine is not None:
        release_full_collections()


def _report(marker: str) -> None:
    sys.stdout.write(marker + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None, *, direct: tuple[str, str, str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    if args.data_dir:
        os.environ["WORKSTATION_DATA_DIR"] = os.path.abspath(args.data_dir)
    from workstation.logsetup import setup_logging  # noqa: PLC0415
    from workstation.ui.crash import CrashHandler  # noqa: PLC0415

    if args.smoke:
        from workstation.ui.smoke import prepare_environment, run_smoke  # noqa: PLC0415

        prepare_environment()
    log_path = setup_logging(console=True)  # console only where there is one (-debug exe, source)
    app = create_application(argv)
    crash = CrashHandler(log_path, show_dialog=not args.smoke)
    crash.install()
    try:
        if args.smoke:
            return run_smoke(app, lambda: build(app, lang=args.lang).window, crash)
        instance = claim_single_instance(argv[1:])
        if instance is None:
            return 0
        running = build(app, lang=args.lang)
        crash.parent_window = running.window
        instance.activate_requested.connect(lambda _argv: bring_to_front(running.window))
        show(running, direct=direct)
        code = app.exec()
        finish_background_work(code)
        return code
    finally:
        crash.uninstall()


EXIT_GRACE_MS = 5_000


def finish_background_work(code: int = 0, grace_ms: int = EXIT_GRACE_MS) -> None:
    """After the window is gone: let the cache writer finish every write it was given (the
    agent's work; never cut short), and give sync and background jobs a bounded moment to end
    (they were asked to when the window closed; a hanging request may need its socket
    timeout). Nothing is visible any more, so this wait freezes nothing. If a network job
    still runs after that, leave at once: it holds nothing that is not on disk."""
    import logging  # noqa: PLC0415
    import time  # noqa: PLC0415

    from workstation.ui.sync_worker import running_threads, wait_for_threads  # noqa: PLC0415
    from workstation.ui.tasks import busy_pools  # noqa: PLC0415

    log = logging.getLogger(__name__)
    deadline = time.monotonic() + grace_ms / 1000
    wait_for_threads(deadline)
    for pool in busy_pools():
        pool.waitForDone(max(0, int((deadline - time.monotonic()) * 1000)))
    _drain_writers(log)
    left = len(running_threads()) + len(busy_pools())
    if left:
        log.warning("exiting with %d background job(s) still running", left)
        logging.shutdown()
        os._exit(code)


def _drain_writers(log, limit_s: float = 60.0) -> None:
    """Queued cache writes are the agent's work: wait for them (they take milliseconds; the
    limit only guards against a disk that stopped answering)."""
    import time  # noqa: PLC0415

    writer_module = sys.modules.get("workstation.models.writer")  # never opened a cache: none
    if writer_module is None:
        return
    busy_writers = writer_module.busy_writers
    deadline = time.monotonic() + limit_s
    while busy_writers() and time.monotonic() < deadline:
        time.sleep(0.01)
    if busy_writers():
        log.error("exiting with cache writes still queued (the disk did not answer for %.0f s)", limit_s)


def claim_single_instance(args: Sequence[str]):
    """The listener when this process is the only Workstation of this user, else None
    (the running one was asked to come to the front)."""
    from workstation.ui.single_instance import (Notified, SingleInstanceServer,  # noqa: PLC0415
                                                notify_running_instance)

    answer = notify_running_instance(argv=list(args))
    if answer is Notified.ACTIVATED:
        return None
    if answer is Notified.NOT_RESPONDING:
        from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415

        QMessageBox.warning(None, QCoreApplication.translate("App", "Workstation"),
                            QCoreApplication.translate(
                                "App", "Workstation is already running but does not respond. "
                                "Wait a moment, or end it in the Task Manager, then start it again."))
        return None
    server = SingleInstanceServer(parent=QCoreApplication.instance())
    server.listen()
    return server


def bring_to_front(window) -> None:
    from workstation.ui.single_instance import bring_to_front as _raise  # noqa: PLC0415

    _raise(window)
