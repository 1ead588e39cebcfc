"""Unhandled exceptions: log them with their traceback and tell the agent where the log is.

Covers `sys.excepthook` (the GUI thread, including exceptions raised inside Qt slots and
event handlers, which PySide6 reports through sys.excepthook), and `threading.excepthook`
(worker threads). A worker thread never touches widgets: it emits a signal and the dialog
opens on the GUI thread. The dialog is not modal and the app keeps running, because most
errors in a slot leave the rest of the window usable; the agent can choose to quit.
"""
from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

log = logging.getLogger("workstation.crash")



class CrashDialog(QMessageBox):
    """Says that something went wrong, names the log file, offers the details."""

    def __init__(self, summary: str, details: str, log_path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle(QCoreApplication.translate("CrashDialog", "Workstation: unexpected error"))
        self.setText(QCoreApplication.translate("CrashDialog", "Something went wrong: %1").replace("%1", summary))
        self.setInformativeText(
            QCoreApplication.translate("CrashDialog", "The details were written to the log file:\n%1\n\n"
               "You can keep working; if the window misbehaves, quit and start Workstation again.")
            .replace("%1", str(log_path))
        )
        self.setDetailedText(details)
        self.log_path = log_path
        self.continue_button = self.addButton(QCoreApplication.translate("CrashDialog", "Continue"), QMessageBox.ButtonRole.AcceptRole)
        self.open_log_button = self.addButton(QCoreApplication.translate("CrashDialog", "Open log folder"), QMessageBox.ButtonRole.ActionRole)
        self.quit_button = self.addButton(QCoreApplication.translate("CrashDialog", "Quit"), QMessageBox.ButtonRole.DestructiveRole)
        self.setDefaultButton(self.continue_button)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.NonModal)  # the window stays usable
        self.buttonClicked.connect(self._on_button)

    def _on_button(self, button) -> None:
        if button is self.open_log_button:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_path.parent)))
        elif button is self.quit_button:
            QApplication.exit(1)


class CrashHandler(QObject):
    """Installs the hooks; `install()` once after the QApplication exists, `uninstall()` at exit."""

    exception_caught = Signal(str, str)  # summary, formatted traceback (queued across threads)
    dialog_shown = Signal(object)  # the CrashDialog, for tests and for a parent window

    def __init__(self, log_path: Path, parent_window: QWidget | None = None, *, show_dialog: bool = True):
        super().__init__()
        self.log_path = log_path
        self.parent_window = parent_window
        self.show_dialog = show_dialog
        self.dialog: CrashDialog | None = None
        self.caught = 0
        self._previous_excepthook = None
        self._previous_threading_hook = None
        self.exception_caught.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # --- hooks ---------------------------------------------------------------------------
    def install(self) -> None:
        self._previous_excepthook = sys.excepthook
        self._previous_threading_hook = threading.excepthook
        sys.excepthook = self._excepthook
        threading.excepthook = self._threading_excepthook

    def uninstall(self) -> None:
        if self._previous_excepthook is not None and sys.excepthook == self._excepthook:
            sys.excepthook = self._previous_excepthook
        if self._previous_threading_hook is not None and threading.excepthook == self._threading_excepthook:
            threading.excepthook = self._previous_threading_hook
        self._previous_excepthook = self._previous_threading_hook = None

    def _excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            (self._previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
            return
        self.handle(exc_type, exc, tb, thread_name=threading.current_thread().name)

    def _threading_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "unknown thread"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, thread_name=name)

    # --- handling --------------------------------------------------------------------------
    def handle(self, exc_type, exc, tb, *, thread_name: str) -> None:
        """Log with traceback (always), then ask the GUI thread to show the dialog."""
        self.caught += 1
        try:
            log.critical("Unhandled exception in thread %s", thread_name, exc_info=(exc_type, exc, tb))
        except Exception:  # logging itself failed (disk full...): still show something
            traceback.print_exception(exc_type, exc, tb)
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        summary = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
        from workstation.logsetup import redact

        # Emitted from any thread; the queued connection runs _show on the GUI thread.
        self.exception_caught.emit(redact(summary)[:500], redact(details))

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if not self.show_dialog or QApplication.instance() is None:
            return
        if self.dialog is not None and shiboken6.isValid(self.dialog) and self.dialog.isVisible():
            return  # one dialog at a time; a burst of errors must not bury the window
        self.dialog = CrashDialog(summary, details, self.log_path, self.parent_window)
        self.dialog.show()
        self.dialog_shown.emit(self.dialog)
