"""One running Workstation per user: a second launch brings the first window to the front.

The first instance listens on a QLocalServer (a named pipe on Windows, a Unix socket
elsewhere). A later launch connects as a client, sends {"cmd": "activate", "argv": [...]},
waits for "ok" and exits. The server name is per user (and per data folder, so tests and
the demo with their own WORKSTATION_DATA_DIR do not collide with a real session): named
pipes on Windows share one namespace across users on a terminal server.

A crashed run can leave a stale Unix socket file behind; listen() then fails with
AddressInUse. We only remove it after a client connect failed, i.e. nobody answers on it.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import sys
from enum import Enum

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger("workstation.single_instance")

CONNECT_TIMEOUT_MS = 500
REPLY_TIMEOUT_MS = 3000


def server_name(app_id: str = "Workstation") -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name available (odd service accounts)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    scope = f"{user}\0{os.environ.get('WORKSTATION_DATA_DIR', '')}"
    return f"{app_id}-{hashlib.sha256(scope.encode()).hexdigest()[:16]}"


class Notified(Enum):
    NO_OTHER_INSTANCE = "none"  # nobody listening: this process becomes the primary
    ACTIVATED = "activated"  # the running instance answered and raised its window
    NOT_RESPONDING = "not-responding"  # something accepted the connection but did not answer


def notify_running_instance(name: str | None = None, argv: list[str] | None = None) -> Notified:
    """Ask an already running instance to come to the front. No event loop needed."""
    name = name or server_name()
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return Notified.NO_OTHER_INSTANCE
    if sys.platform == "win32":
        # Windows only lets the foreground process hand the foreground to another one.
        try:
            import ctypes

            ctypes.windll.user32.AllowSetForegroundWindow(-1)  # ASFW_ANY
        except Exception:  # pragma: no cover - best effort
            pass
    message = json.dumps({"cmd": "activate", "argv": list(argv or [])}).encode() + b"\n"
    socket.write(message)
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    reply = b""
    while b"\n" not in reply:
        reply += bytes(socket.readAll().data())
        if b"\n" in reply or not socket.waitForReadyRead(REPLY_TIMEOUT_MS):
            break
    reply += bytes(socket.readAll().data())  # data that arrived together with the close
    socket.disconnectFromServer()
    return Notified.ACTIVATED if reply.strip() == b"ok" else Notified.NOT_RESPONDING


class SingleInstanceServer(QObject):
    """The primary instance's listener. `activate_requested(argv)` fires on the GUI thread."""

    activate_requested = Signal(list)

    def __init__(self, name: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        if self.server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            # Only reached after notify_running_instance() found nobody answering: a stale
            # socket file from a crashed run.
            log.info("removing stale single-instance socket %s", self.name)
            QLocalServer.removeServer(self.name)
            if self.server.listen(self.name):
                return True
        log.warning("single-instance server could not listen on %s: %s", self.name, self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def _on_new_connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        self._buffers[socket] = data
        if b"\n" not in data:
            return
        line = data.split(b"\n", 1)[0]
        try:
            message = json.loads(line)
        except ValueError:
            message = {}
        if isinstance(message, dict) and message.get("cmd") == "activate":
            argv = [str(a) for a in message.get("argv") or []]
            socket.write(b"ok\n")
            log.info("second launch asked this instance to come to the front")
            self.activate_requested.emit(argv)
        else:
            socket.write(b"error\n")
        socket.flush()  # the client closes the connection once it has read the answer


def bring_to_front(window: QWidget) -> None:
    """Un-minimize, show, raise and activate a top-level window."""
    state = window.windowState()
    if state & Qt.WindowState.WindowMinimized:
        window.setWindowState((state & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
    window.show()
    window.raise_()
    window.activateWindow()
