"""The reply box: Enter sends, Shift+Enter starts a new line, and what is pasted is kept
exactly (plain text only: no formatting comes along, and no character is changed)."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

_PARAGRAPH = "\u2029"  # how QTextDocument stores a line break
_LINE = "\u2028"
_PHRASE_KEYS = ("/", "／")  # a full-width slash from a Chinese input method opens it too


class ReplyEdit(QPlainTextEdit):
    send_requested = Signal()
    typing = Signal()  # the agent typed or pasted something (presence: "typing")
    # `/` at the start of the box or after a space / new line, or Ctrl+K: the quick-phrase
    # picker (the `/` itself is not kept).
    phrases_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replyBox")
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._on_text_changed)

    def text(self) -> str:
        """The text exactly as typed or pasted. (`toPlainText` would turn no-break spaces into
        plain spaces; the raw text keeps them.)"""
        return self.document().toRawText().replace(_PARAGRAPH, "\n").replace(_LINE, "\n")

    def set_text(self, text: str) -> None:
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.End)

    def at_word_start(self) -> bool:
        """The cursor is at the start of the box or right after whitespace."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        pos = cursor.position()
        return pos == 0 or self.document().characterAt(pos - 1).isspace()

    def insert_phrase(self, text: str) -> None:
        """Put a phrase's text in at the cursor (the agent still sends with Enter)."""
        self.textCursor().insertText(text)
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_K and \
                event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.ControlModifier:
            self.phrases_requested.emit()
            return
        if event.text() in _PHRASE_KEYS and self.at_word_start():
            self.phrases_requested.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if modifiers == Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")
                return
            if modifiers == Qt.KeyboardModifier.NoModifier:
                self.send_requested.emit()
                return
        super().keyPressEvent(event)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        if event.commitString() in _PHRASE_KEYS and not event.preeditString() and self.at_word_start():
            self.phrases_requested.emit()
            event.accept()
            return
        super().inputMethodEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasText() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText():
            # Windows clipboards say \r\n: a line break is one "\n" in the reply.
            self.textCursor().insertText(source.text().replace("\r\n", "\n").replace("\r", "\n"))
            return
        super().insertFromMimeData(source)

    def _on_text_changed(self) -> None:
        if self.document().characterCount() > 1:
            self.typing.emit()
