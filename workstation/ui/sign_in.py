"""Sign-in dialog: server address, login, password, remember me. The login request runs off
the GUI thread with a busy indicator; on failure the dialog stays open with the input kept."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QProgressBar, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt
from workstation.sync.errors import BadCredentials, TooManyAttempts
from workstation.ui.errors import describe_error
from workstation.ui.tasks import TaskRunner


@dataclass(frozen=True)
class SignInResult:
    server_url: str
    login: str
    remember: bool
    token: str
    agent: object  # sync.wire.AgentInfo


def normalise_url(text: str) -> str:
    url = text.strip().rstrip("/")
    if url and "://" not in url:
        url = "https://" + url
    return url


def default_authenticate(server_url: str, login: str, password: str):
    from workstation.sync.client import StoreClient  # noqa: PLC0415 (lazy: requests)

    client = StoreClient(server_url)
    try:
        return client.login(login, password)
    finally:
        client.close()


class SignInDialog(QDialog):
    signed_in = Signal(object)  # SignInResult

    def __init__(self, parent: QWidget | None, runner: TaskRunner, *,
                 authenticate: Callable | None = None, server_url: str = "", login: str = "",
                 remember: bool = True, message: str = "") -> None:
        super().__init__(parent)
        self._runner = runner
        self._authenticate = authenticate or default_authenticate
        self._busy = False
        self._attempt = 0
        self.setWindowTitle(self.tr("Sign in to Workstation"))
        self.setObjectName("signInDialog")
        self._build(server_url, login, remember)
        self.show_message(message, error=bool(message))

    # public -------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy

    def show_message(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.setStyleSheet(f"color: {fmt.COD_COLOUR};" if error else "")

    def submit(self) -> None:
        server_url = normalise_url(self.server_url.text())
        login = self.login.text().strip()
        password = self.password.text()
        if not server_url or not login or not password:
            self.show_message(self.tr("Enter the server address, your login and your password."))
            (self.server_url if not server_url else self.login if not login else self.password).setFocus()
            return
        self.server_url.setText(server_url)
        self._set_busy(True)
        self.show_message(self.tr("Signing in…"), error=False)
        self._attempt += 1
        attempt = self._attempt
        remember = self.remember.isChecked()
        authenticate = self._authenticate
        self._runner.submit(lambda: authenticate(server_url, login, password),
                            on_done=lambda resp: self._on_success(attempt, server_url, login, remember, resp),
                            on_error=lambda exc: self._on_failure(attempt, server_url, exc))

    # internals ------------------------------------------------------------------
    def _build(self, server_url: str, login: str, remember: bool) -> None:
        layout = QVBoxLayout(self)
        self.message = QLabel(self)
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.message)

        form = QFormLayout()
        self.server_url = QLineEdit(server_url, self)
        self.server_url.setPlaceholderText("https://store.example.com")
        self.login = QLineEdit(login, self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox(self.tr("Remember me on this computer"), self)
        self.remember.setChecked(remember)
        self.remember.setToolTip(self.tr("Keeps a sign-in token in the system keychain (never the password)."))
        form.addRow(self.tr("Server"), self.server_url)
        form.addRow(self.tr("Login"), self.login)
        form.addRow(self.tr("Password"), self.password)
        form.addRow("", self.remember)
        layout.addLayout(form)

        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumHeight(6)
        self.busy_bar.hide()
        layout.addWidget(self.busy_bar)

        self.buttons = QDialogButtonBox(self)
        self.sign_in_button = self.buttons.addButton(self.tr("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(self.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)

        for field in (self.server_url, self.login, self.password):
            if not field.text():
                field.setFocus()
                break

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in (self.server_url, self.login, self.password, self.remember, self.sign_in_button):
            w.setEnabled(not busy)
        self.busy_bar.setVisible(busy)

    def _on_success(self, attempt: int, server_url: str, login: str, remember: bool, response) -> None:
        if attempt != self._attempt or not self.isVisible():
            return  # cancelled meanwhile
        self._set_busy(False)
        self.password.clear()  # the password is not kept anywhere, not even in this widget
        result = SignInResult(server_url=server_url, login=login, remember=remember,
                              token=response.token, agent=response.agent)
        self.signed_in.emit(result)
        self.accept()

    def _on_failure(self, attempt: int, server_url: str, exc: BaseException) -> None:
        if attempt != self._attempt:
            return
        self._set_busy(False)
        self.show_message(describe_error(exc, server_url))
        if isinstance(exc, (BadCredentials, TooManyAttempts)):
            self.password.setFocus()
            self.password.selectAll()
        else:
            self.server_url.setFocus()

    def reject(self) -> None:
        self._attempt += 1  # an answer still on its way is ignored
        self._set_busy(False)
        self.password.clear()
        super().reject()
