"""The remark part of the order detail: the current remark (flag with colour AND name, who,
when, where it stands: saved locally / sent / conflict), an editor opened with F2 or the
"Edit remark" button, and the history newest first, so the next agent learns what happened.

It only shows and edits; `save_requested` goes to whoever writes through the outbox, which
answers with `set_state` / `show_remark` / `set_history`. An edit in progress is never
replaced by a refresh of the same order (a colleague's change arriving meanwhile updates
the text shown above the editor, and the save will then be merged by the outbox).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt
from workstation.ui.remark_editor import Compose, RemarkEditor


@dataclass(frozen=True)
class RemarkHistoryEntry:
    text: str
    flag: int
    reason: str
    by: str | None
    at: datetime | None
    pending: bool = False  # written here, not confirmed by the server yet


class _Badge(QLabel):
    def set_flag(self, flag: int, text: str) -> None:
        colour = fmt.FLAG_COLOURS.get(flag, "#9e9e9e")
        self.setText(text)
        self.setStyleSheet(f"QLabel {{ color: {colour}; border: 1px solid {colour}; border-radius: 3px;"
                           " padding: 1px 6px; }")
        self.setVisible(bool(text))


class RemarkSection(QGroupBox):
    save_requested = Signal(int, str, int, str, object)  # order id, text, flag, reason, base version
    merge_requested = Signal()  # the agent wants to settle a conflict of the open order

    def __init__(self, parent: QWidget | None = None, *, compose: Compose | None = None) -> None:
        super().__init__(self.tr("Remark"), parent)
        self._order_id: int | None = None
        self._version: int | None = None
        self._edit_base: int | None = None
        self._current = ("", 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        row = QHBoxLayout()
        self.flag = _Badge(self)
        self.meta = QLabel(self)
        self.meta.setStyleSheet("color: palette(mid);")
        self.state = QLabel(self)
        self.state.setObjectName("remarkSectionState")
        self.edit_button = QPushButton(self.tr("Edit remark (F2)"), self)
        self.edit_button.clicked.connect(self.begin_edit)
        self.merge_button = QPushButton(self.tr("Merge…"), self)
        self.merge_button.setToolTip(self.tr("See both versions and choose what the remark says"))
        self.merge_button.clicked.connect(self.merge_requested)
        self.merge_button.hide()
        row.addWidget(self.flag)
        row.addWidget(self.meta)
        row.addStretch(1)
        row.addWidget(self.state)
        row.addWidget(self.merge_button)
        row.addWidget(self.edit_button)
        layout.addLayout(row)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)
        self.editor = RemarkEditor(self, compose=compose)
        self.editor.hide()
        self.editor.save_requested.connect(self._save)
        self.editor.cancelled.connect(self.end_edit)
        layout.addWidget(self.editor)
        self.history = QListWidget(self)
        self.history.setObjectName("remarkHistory")
        self.history.setMaximumHeight(self.fontMetrics().height() * 6)
        self.history.hide()
        layout.addWidget(self.history)

    # ---- public ------------------------------------------------------------------------

    @property
    def editing(self) -> bool:
        return not self.editor.isHidden()

    @property
    def order_id(self) -> int | None:
        return self._order_id

    def set_composer(self, compose: Compose) -> None:
        """How the final memo is made (the byte counter counts that)."""
        self.editor.set_composer(compose)

    def show_remark(self, order_id: int, text: str, flag: int, by: str | None, at, version: int | None) -> None:
        same_order = order_id == self._order_id
        self._order_id, self._version, self._current = order_id, version, (text, flag)
        if text or flag:
            self.flag.set_flag(flag, "■ " + fmt.flag_label(flag))
            meta = []
            if by:
                meta.append(self.tr("by agent %1").replace("%1", str(by)))
            if at:
                meta.append(fmt.local_time(at))
            self.meta.setText(" · ".join(meta))
            self.text.setText(text or self.tr("(no text)"))
        else:
            self.flag.set_flag(0, "")
            self.meta.setText("")
            self.text.setText(self.tr("No remark"))
        if not same_order:
            self.end_edit()
            self.set_state("")
            self.set_history([])

    def begin_edit(self) -> None:
        if self._order_id is None:
            return
        text, flag = self._current
        # The version the agent starts from: if a colleague's change arrives while writing,
        # the save names the OLD version, so the server answers "conflict" and nobody's words
        # are overwritten.
        self._edit_base = self._version
        self.editor.show()
        self.editor.start(text, flag)

    def end_edit(self) -> None:
        self.editor.hide()

    def set_state(self, state: str, detail: str = "") -> None:
        self.editor.set_state(state, detail)
        self.state.setText(self.editor.state.text())
        self.state.setStyleSheet(self.editor.state.styleSheet())
        self.merge_button.setVisible(state == "conflict")

    def set_history(self, entries: list[RemarkHistoryEntry]) -> None:
        self.history.clear()
        for e in entries:
            when = fmt.local_time(e.at) if e.at else ""
            who = self.tr("agent %1").replace("%1", e.by) if e.by else ""
            head = " · ".join(p for p in ("■ " + fmt.flag_label(e.flag), who, when) if p)
            if e.pending:
                head += " · " + self.tr("not sent yet")
            body = e.text + (f"\n{self.tr('Reason: %1').replace('%1', e.reason)}" if e.reason else "")
            item = QListWidgetItem(f"{head}\n{body}")
            item.setForeground(fmt.flag_colour(e.flag))
            self.history.addItem(item)
        self.history.setVisible(bool(entries))

    # ---- internals ---------------------------------------------------------------------

    def _save(self, text: str, flag: int, reason: str) -> None:
        if self._order_id is None:
            return
        self.save_requested.emit(self._order_id, text, flag, reason, self._edit_base)
        self.end_edit()
