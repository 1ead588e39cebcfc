"""Merging a remark two agents changed at once: nobody's words are lost.

Shown when the server refused an agent's remark because a colleague had changed it since
(a conflict). Side by side: the colleague's version (with who and when), the agent's own,
and the version both started from; below, the merge being made. Actions:

- "Keep both (mine on top)": the agent's text above the colleague's — the default;
- "Take theirs": drop the agent's change (it stays in the history of this dialog only);
- "Edit the merge": edit freely, starting from both.

`merged(text, flag)` is emitted with the result; the owner writes it as a new remark based
on the colleague's version. Conflicts are rare, so this is a dialog, opened window-modal and
never blocking (`open()`, not `exec()`).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                               QPushButton, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt


@dataclass(frozen=True)
class RemarkVersion:
    text: str
    flag: int
    by: str | None = None  # agent no.
    at: object = None  # datetime, UTC


def keep_both(mine: str, theirs: str) -> str:
    """The agent's text first, then the colleague's, each once (no doubled line when one
    already contains the other)."""
    mine, theirs = mine.strip(), theirs.strip()
    if not theirs or theirs in mine:
        return mine
    if not mine or mine in theirs:
        return theirs
    return f"{mine}\n{theirs}"


class RemarkMergeDialog(QDialog):
    merged = Signal(str, int)  # text, flag

    def __init__(self, order_no: str, base: RemarkVersion, theirs: RemarkVersion, mine: RemarkVersion,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Merge the remark of order %1").replace("%1", order_no))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._theirs, self._mine = theirs, mine
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("A colleague changed this remark while you were editing it. "
                               "Nothing is lost: choose what the remark should say."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        grid = QGridLayout()
        self.theirs_view = self._pane(grid, 0, self._title_theirs(theirs), theirs)
        self.mine_view = self._pane(grid, 1, self.tr("Yours (not sent)"), mine)
        self.base_view = self._pane(grid, 2, self.tr("Before both changes"), base)
        layout.addLayout(grid)

        layout.addWidget(QLabel(self.tr("The remark after merging:"), self))
        self.result = QPlainTextEdit(self)
        self.result.setObjectName("mergeResult")
        self.result.setPlainText(keep_both(mine.text, theirs.text))
        layout.addWidget(self.result)

        buttons = QHBoxLayout()
        self.keep_both_button = QPushButton(self.tr("Keep both (mine on top)"), self)
        self.take_theirs_button = QPushButton(self.tr("Take theirs"), self)
        self.edit_button = QPushButton(self.tr("Edit the merge"), self)
        self.save_button = QPushButton(self.tr("Save merged remark"), self)
        self.save_button.setDefault(True)
        cancel = QPushButton(self.tr("Decide later"), self)
        for b in (self.keep_both_button, self.take_theirs_button, self.edit_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self.keep_both_button.clicked.connect(self.keep_both)
        self.take_theirs_button.clicked.connect(self.take_theirs)
        self.edit_button.clicked.connect(self.edit_merge)
        self.save_button.clicked.connect(self._save)
        cancel.clicked.connect(self.reject)
        self._flag = mine.flag
        self.resize(760, 460)

    # ---- actions -----------------------------------------------------------------------

    def keep_both(self) -> None:
        self.result.setPlainText(keep_both(self._mine.text, self._theirs.text))
        self._flag = self._mine.flag

    def take_theirs(self) -> None:
        self.result.setPlainText(self._theirs.text)
        self._flag = self._theirs.flag

    def edit_merge(self) -> None:
        self.result.setFocus(Qt.FocusReason.OtherFocusReason)

    def merged_text(self) -> str:
        return self.result.toPlainText().strip()

    def merged_flag(self) -> int:
        return self._flag

    def _save(self) -> None:
        self.merged.emit(self.merged_text(), self._flag)
        self.accept()

    # ---- build -------------------------------------------------------------------------

    def _title_theirs(self, theirs: RemarkVersion) -> str:
        who = self.tr("agent %1").replace("%1", theirs.by) if theirs.by else self.tr("a colleague")
        when = fmt.local_time(theirs.at) if theirs.at else ""
        return self.tr("Theirs (%1, %2)").replace("%1", who).replace("%2", when) if when else \
            self.tr("Theirs (%1)").replace("%1", who)

    def _pane(self, grid: QGridLayout, column: int, title: str, version: RemarkVersion) -> QPlainTextEdit:
        label = QLabel(f"{title}\n■ {fmt.flag_label(version.flag)}", self)
        label.setStyleSheet(f"color: {fmt.FLAG_COLOURS.get(version.flag, '#9e9e9e')};")
        view = QPlainTextEdit(self)
        view.setReadOnly(True)
        view.setPlainText(version.text)
        grid.addWidget(label, 0, column)
        grid.addWidget(view, 1, column)
        return view
