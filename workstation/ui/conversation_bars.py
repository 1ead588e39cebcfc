"""Two bars of the conversation pane, shown only when needed:

- `TransferBar`: hand the conversation to a colleague (picked from the shop's active
  agents, with their status) with a note of up to 200 characters; inline, no dialog.
- `HeldBar`: the agent's reply that was held back (the conversation moved on since it was
  written) or refused, with why, and Send anyway / Edit / Discard.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from workstation.ui.message_model import held_reason_text

MAX_NOTE_CHARS = 200


def _button(parent: QWidget, layout, text: str, slot) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAutoDefault(False)
    button.clicked.connect(slot)
    layout.addWidget(button)
    return button


def agent_status_label(status: str) -> str:
    return {"receiving": QCoreApplication.translate("TransferBar", "receiving"),
            "paused": QCoreApplication.translate("TransferBar", "paused"),
            "offline": QCoreApplication.translate("TransferBar", "offline")}.get(status, status)


class TransferBar(QFrame):
    transfer_requested = Signal(str, str)  # colleague's agent_no, note

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel(self.tr("To:"), self))
        self.to = QComboBox(self)
        self.to.setObjectName("transferTo")
        bar.addWidget(self.to, 1)
        self.note = QLineEdit(self)
        self.note.setObjectName("transferNote")
        self.note.setMaxLength(MAX_NOTE_CHARS)
        self.note.setPlaceholderText(self.tr("Note for the colleague"))
        self.note.returnPressed.connect(self.submit)
        bar.addWidget(self.note, 2)
        self.ok_button = _button(self, bar, self.tr("Transfer"), self.submit)
        _button(self, bar, self.tr("Cancel"), self.hide)
        self.info = QLabel(self)
        bar.addWidget(self.info)
        self.hide()

    def set_agents(self, agents, me: str) -> None:
        """The colleagues one can hand over to: active, not the agent themself."""
        current = self.to.currentData()
        self.to.clear()
        for a in agents:
            if a.active and a.agent_no != me:
                self.to.addItem(f"{a.display_name} {a.agent_no} · {agent_status_label(a.status)}", a.agent_no)
        if current:
            i = self.to.findData(current)
            if i >= 0:
                self.to.setCurrentIndex(i)

    def open(self) -> None:
        self.info.setText("")
        self.show()
        self.to.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        to_agent_no = self.to.currentData()
        if not to_agent_no:
            self.info.setText(self.tr("Choose a colleague"))
            return
        self.transfer_requested.emit(to_agent_no, self.note.text())

    def done(self) -> None:
        self.note.clear()
        self.hide()


class HeldBar(QFrame):
    send_anyway = Signal()
    edit = Signal()
    discard = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heldBar")
        self.setStyleSheet("#heldBar { background: #fde0dc; border-radius: 3px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 3, 6, 3)
        self.text = QLabel(self)
        self.text.setObjectName("heldText")
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #b71c1c;")
        row.addWidget(self.text, 1)
        self.send_anyway_button = _button(self, row, self.tr("Send anyway"), self.send_anyway)
        self.edit_button = _button(self, row, self.tr("Edit"), self.edit)
        self.discard_button = _button(self, row, self.tr("Discard"), self.discard)
        self.hide()

    def show_reply(self, held, count: int, editing: bool) -> None:
        """`held`: the first MessageRow waiting for the agent (None hides the bar)."""
        if held is None:
            self.hide()
            return
        if held.status == "held":
            text = self.tr("Reply held back, not sent: %1").replace("%1", held_reason_text(held.held_reason))
        else:
            text = self.tr("Reply not sent: %1").replace("%1", held.error or self.tr("refused by the server"))
        if count > 1:
            text += " " + self.tr("(%1 more)").replace("%1", str(count - 1))
        if editing:
            text += " — " + self.tr("editing it in the reply box; Enter sends the new text")
        self.text.setText(text)
        self.send_anyway_button.setVisible(held.status == "held")  # a refused one cannot be forced
        self.show()
