"""Writing an order's remark (备注): flag colour, memo text, reason — keyboard first.

The six marketplace flags are shown with colour AND name; red is preselected when the agent
records a change (小红旗). The memo's byte counter counts the FINAL memo (the text plus the
trailer the server adds: reason, agent no., time — `compose` is passed in, so the count is
exactly what the marketplace API will receive) against the 1000-byte limit; over the limit
the counter turns red, says so, and saving is refused. Ctrl+Enter saves (Enter in the
reason field too), Esc cancels.

The editor only edits: `save_requested(text, flag, reason)` is emitted and whoever owns the
order (the detail view) writes it through the outbox. `set_state` shows where the remark
stands: saved locally / sent / conflict.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QToolButton, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt

MEMO_LIMIT_BYTES = 1000  # marketplace memo fields (Taobao TOP trade memo) hold at most this
DEFAULT_CHANGE_FLAG = 1  # red: "something about this order changed"
FLAGS = (0, 1, 2, 3, 4, 5)  # grey, red, yellow, green, blue, purple

Compose = Callable[[str, str], str]  # (text, reason) -> the final memo as the server stores it


def _plain(text: str, reason: str) -> str:
    return text


class FlagPicker(QWidget):
    """Six exclusive flag buttons; keys 0-5 pick one while the picker has focus."""

    changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[int, QToolButton] = {}
        for flag in FLAGS:
            button = QToolButton(self)
            button.setCheckable(True)
            button.setText(f"■ {fmt.flag_label(flag)}")
            button.setToolTip(self.tr("%1 (key %2)").replace("%1", fmt.flag_label(flag)).replace("%2", str(flag)))
            colour = fmt.FLAG_COLOURS[flag]
            button.setStyleSheet(f"QToolButton {{ color: {colour}; padding: 1px 4px; }}"
                                 f"QToolButton:checked {{ border: 2px solid {colour}; font-weight: bold; }}")
            button.setObjectName(f"flag{flag}")
            self._group.addButton(button, flag)
            layout.addWidget(button)
            self.buttons[flag] = button
        layout.addStretch(1)
        self._group.idClicked.connect(self.changed)
        self.set_flag(0)

    def flag(self) -> int:
        return max(0, self._group.checkedId())

    def set_flag(self, flag: int) -> None:
        self.buttons.get(flag, self.buttons[0]).setChecked(True)

    def keyPressEvent(self, event) -> None:
        text = event.text()
        if text.isdigit() and int(text) in self.buttons:
            self.set_flag(int(text))
            self.changed.emit(int(text))
            return
        super().keyPressEvent(event)


def memo_bytes(memo: str) -> int:
    return len(memo.encode("utf-8"))


class RemarkEditor(QWidget):
    save_requested = Signal(str, int, str)  # text, flag, reason
    cancelled = Signal()

    STATES = ("", "local", "sent", "conflict", "rejected")

    def __init__(self, parent: QWidget | None = None, *, compose: Compose | None = None) -> None:
        super().__init__(parent)
        self._compose = compose or _plain
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

        self.flags = FlagPicker(self)
        layout.addWidget(self.flags)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("remarkText")
        self.text.setPlaceholderText(self.tr("What changed, for the colleague who makes the documents"))
        self.text.setTabChangesFocus(True)
        self.text.setMaximumHeight(self.fontMetrics().height() * 5)
        layout.addWidget(self.text)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("remarkReason")
        self.reason.setPlaceholderText(self.tr("Reason for the change (e.g. exchange: size M out of stock)"))
        layout.addWidget(self.reason)

        row = QHBoxLayout()
        self.counter = QLabel(self)
        self.counter.setObjectName("remarkBytes")
        self.state = QLabel(self)
        self.state.setObjectName("remarkState")
        self.save_button = QPushButton(self.tr("Save remark"), self)
        self.save_button.setToolTip(self.tr("Save (Ctrl+Enter); it is kept locally and sent when online"))
        self.save_button.clicked.connect(self.request_save)
        row.addWidget(self.counter)
        row.addWidget(self.state, 1)
        row.addWidget(self.save_button)
        layout.addLayout(row)

        # Ctrl+Enter saves from the memo or the reason; Esc cancels. An event filter, not a
        # QShortcut: the text edit would take Ctrl+Enter as a line break first.
        self.text.installEventFilter(self)
        self.reason.installEventFilter(self)
        self.text.textChanged.connect(self._update_counter)
        self.reason.textChanged.connect(self._update_counter)
        self._update_counter()

    # ---- public ------------------------------------------------------------------------

    def start(self, text: str = "", flag: int = 0, reason: str = "", *, recording_change: bool = True) -> None:
        """Open for writing: the current text to edit, and red preselected when the agent is
        recording a change (a grey or no flag becomes red)."""
        self.text.setPlainText(text)
        self.reason.setText(reason)
        self._update_counter()
        self.flags.set_flag(DEFAULT_CHANGE_FLAG if recording_change and flag == 0 else flag)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)
        cursor = self.text.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.text.setTextCursor(cursor)

    def set_composer(self, compose: Compose) -> None:
        """Counted from the next edit on (not at once: composing may import the cache layer,
        which start-up keeps off the first frame)."""
        self._compose = compose

    def final_memo(self) -> str:
        return self._compose(self.text.toPlainText(), self.reason.text().strip())

    def bytes_used(self) -> int:
        return memo_bytes(self.final_memo())

    def fits(self) -> bool:
        return self.bytes_used() <= MEMO_LIMIT_BYTES

    def request_save(self) -> None:
        if not self.fits() or not (self.text.toPlainText().strip() or self.reason.text().strip()):
            self._update_counter()
            return
        self.save_requested.emit(self.text.toPlainText().strip(), self.flags.flag(), self.reason.text().strip())

    def set_state(self, state: str, detail: str = "") -> None:
        """"local" (saved on this PC, not sent yet), "sent", "conflict", "rejected", "" (none)."""
        texts = {
            "": "",
            "local": self.tr("● Saved on this PC — sent when online"),
            "sent": self.tr("✓ Sent"),
            "conflict": self.tr("⚠ A colleague changed this remark meanwhile — merge needed"),
            "rejected": self.tr("✗ Not accepted by the server: %1"),
        }
        colours = {"local": "#b35c00", "sent": "#2e7d32", "conflict": "#c62828", "rejected": "#c62828"}
        self.state.setText(texts.get(state, state).replace("%1", detail))
        self.state.setStyleSheet(f"color: {colours.get(state, 'palette(mid)')};")

    # ---- internals ---------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key, mods = event.key(), event.modifiers()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                    mods & Qt.KeyboardModifier.ControlModifier or watched is self.reason):
                self.request_save()
                return True
            if key == Qt.Key.Key_Escape:
                self.cancelled.emit()
                return True
        return super().eventFilter(watched, event)

    def _update_counter(self) -> None:
        used = self.bytes_used()
        over = used > MEMO_LIMIT_BYTES
        text = self.tr("%1 / %2 bytes").replace("%1", str(used)).replace("%2", str(MEMO_LIMIT_BYTES))
        if over:
            text = self.tr("%1 — too long by %2 bytes").replace("%1", text).replace("%2", str(used - MEMO_LIMIT_BYTES))
        self.counter.setText(text)
        self.counter.setStyleSheet(f"color: {fmt.COD_COLOUR}; font-weight: bold;" if over else "color: palette(mid);")
        self.save_button.setEnabled(not over)
