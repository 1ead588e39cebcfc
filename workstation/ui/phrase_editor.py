"""The form of one quick phrase (`PhraseEditor`), and the rules it checks as the agent types.

`phrase_problem` says in words what the server would refuse (the same rules and order as
`models.phrases.check_phrase`, which runs last for any rule this list would miss); Save
stays disabled while there is one. An empty shortcut follows the title's pinyin initials
(快递查询 → kdcx, made off the GUI thread) until the agent types their own. The library
(`ui.phrase_library`) opens the form and writes what it saves.
"""
from __future__ import annotations

import re
import unicodedata

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QMenu, QPlainTextEdit, QToolButton, QVBoxLayout)

from workstation.ui.tasks import LatestOnly

# The protocol's limits (docs/PROTOCOL.md "Answering fast"; `models.phrases` holds the same:
# not imported at module level, SQLAlchemy stays off start-up).
MAX_TITLE_CHARS = 40
MAX_SHORTCUT_CHARS = 20
MAX_TEXT_CHARS = 500
FAILED_COLOUR = "#c62828"
_BRACES = re.compile(r"\{([^{}]*)\}")
_SHORTCUT = re.compile(r"[a-z0-9]*")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _phrases():
    from workstation.models import phrases  # noqa: PLC0415 (lazy: SQLAlchemy)

    return phrases


def normalize(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def initials(text: str) -> str:
    """The pinyin initials of `text`, a-z0-9 only (快递查询 → kdcx). Loads pypinyin (~0.1 s the
    first time): call it off the GUI thread."""
    from workstation.models.pinyin import lazy_pinyin  # noqa: PLC0415

    letters = "".join(lazy_pinyin(_BRACES.sub(" ", text or ""), initials=True))
    return _NOT_ALNUM.sub("", letters.casefold())


def _limit(message: str, n: int, most: int) -> str:
    return message.replace("%1", str(n)).replace("%2", str(most))


def phrase_problem(title: str, shortcut: str, text: str) -> str:
    """What the server would refuse in this phrase, in words ("" when it is fine). The same
    rules and order as `models.phrases.check_phrase` (which is run last, for any rule this
    list would miss)."""
    if not title.strip():
        return QCoreApplication.translate("PhraseEditor", "Enter a title")
    if len(title) > MAX_TITLE_CHARS:
        return _limit(QCoreApplication.translate("PhraseEditor", "The title has %1 characters; at most %2"), len(title), MAX_TITLE_CHARS)
    braces = _BRACES.search(title)
    if braces:
        return QCoreApplication.translate("PhraseEditor", "The title cannot hold a variable (%1)").replace("%1", braces.group(0))
    if not _SHORTCUT.fullmatch(shortcut):
        return QCoreApplication.translate("PhraseEditor", "The shortcut may only hold lower-case letters a-z and digits 0-9")
    if len(shortcut) > MAX_SHORTCUT_CHARS:
        return _limit(QCoreApplication.translate("PhraseEditor", "The shortcut has %1 characters; at most %2"), len(shortcut),
                      MAX_SHORTCUT_CHARS)
    if not text.strip():
        return QCoreApplication.translate("PhraseEditor", "Enter the text of the phrase")
    if len(text) > MAX_TEXT_CHARS:
        return _limit(QCoreApplication.translate("PhraseEditor", "The text has %1 characters; at most %2"), len(text), MAX_TEXT_CHARS)
    if "\x00" in title + text:
        return QCoreApplication.translate("PhraseEditor", "The phrase contains an invisible NUL character; type it again")
    known = _phrases().VARIABLES
    unknown = [m.group(0) for m in _BRACES.finditer(text) if m.group(1) not in known]
    if unknown:
        return QCoreApplication.translate("PhraseEditor", "%1 is not a variable; insert one with “Insert variable”").replace("%1", unknown[0])
    try:
        _phrases().check_phrase(title, shortcut, text)
    except Exception as exc:  # noqa: BLE001 - a rule of the server this list does not know yet
        return str(exc)
    return ""


# ---- the form -----------------------------------------------------------------------------------

class PhraseEditor(QDialog):
    """Add or edit one phrase. `save_requested(fields)` when the agent saves a phrase the
    server will take; the library writes it and closes the form (or shows why not)."""

    save_requested = Signal(dict)  # {category, title, shortcut, text}

    def __init__(self, parent=None, *, team: bool, phrase=None) -> None:
        super().__init__(parent)
        self.setObjectName("phraseEditor")
        self.team = team
        self.phrase = phrase
        self.refused: str | None = None  # the mutation id of this phrase's write the server refused
        self.setWindowTitle((self.tr("Edit phrase") if phrase is not None else self.tr("New phrase")) + " — "
                            + (self.tr("Team") if team else self.tr("Mine")))
        self._suggested = ""
        self._suggester = LatestOnly(self, name="phrase-initials")
        self._suggester.finished.connect(self._on_suggestion)
        ph = _phrases()
        form = QFormLayout()
        self.category = QComboBox(self)
        for name, label in ph.CATEGORIES.items():
            self.category.addItem(label, name)
        form.addRow(self.tr("Category"), self.category)
        self.title = QLineEdit(self)
        self.title.setObjectName("phraseTitle")
        self.title.setPlaceholderText(self.tr("e.g. 查快递"))
        form.addRow(self.tr("Title"), self.title)
        self.shortcut = QLineEdit(self)
        self.shortcut.setObjectName("phraseShortcut")
        self.shortcut.setToolTip(self.tr("Typed after / in the reply box: lower-case letters and digits; "
                                         "empty: the title's pinyin initials are suggested"))
        form.addRow(self.tr("Shortcut"), self.shortcut)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("phraseText")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(self.tr("What the buyer reads; variables such as {tracking_no} are filled "
                                             "with this buyer's values"))
        form.addRow(self.tr("Text"), self.text)
        self.variable_button = QToolButton(self)
        self.variable_button.setObjectName("insertVariable")
        self.variable_button.setText(self.tr("Insert variable"))
        self.variable_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.variable_button)
        self.variable_actions = {}
        for name, label in ph.VARIABLES.items():
            action = menu.addAction(f"{label}  {{{name}}}")
            action.triggered.connect(lambda _c=False, n=name: self.insert_variable(n))
            self.variable_actions[name] = action
        self.variable_button.setMenu(menu)
        self.counter = QLabel(self)
        row = QHBoxLayout()
        row.addWidget(self.variable_button)
        row.addStretch(1)
        row.addWidget(self.counter)
        form.addRow("", row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("phraseProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {FAILED_COLOUR};")
        layout.addWidget(self.problem_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.request_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if phrase is not None:
            self.category.setCurrentIndex(max(0, self.category.findData(phrase.category)))
            self.title.setText(phrase.title)
            self.shortcut.setText(phrase.shortcut)
            self.text.setPlainText(phrase.text)
        self.title.textChanged.connect(self._title_changed)
        self.shortcut.textEdited.connect(self._shortcut_edited)
        self.shortcut.textChanged.connect(self.validate)
        self.text.textChanged.connect(self.validate)
        self.resize(480, 360)
        self.validate()

    def values(self) -> dict:
        return {"category": self.category.currentData(), "title": self.title.text(),
                "shortcut": self.shortcut.text(), "text": self.text.toPlainText()}

    def problem(self) -> str:
        v = self.values()
        return phrase_problem(v["title"], v["shortcut"], v["text"])

    def validate(self) -> bool:
        problem = self.problem()
        self.problem_label.setText(problem)
        self.save_button.setEnabled(not problem)
        self.save_button.setToolTip(problem)
        n = len(self.text.toPlainText())
        self.counter.setText(self.tr("%1/%2 characters").replace("%1", str(n)).replace("%2", str(MAX_TEXT_CHARS)))
        return not problem

    def insert_variable(self, name: str) -> None:
        self.text.insertPlainText("{" + name + "}")
        self.text.setFocus()

    def request_save(self) -> None:
        if self.validate():
            self.save_button.setEnabled(False)  # until the write is saved or refused
            self.save_requested.emit(self.values())

    def show_error(self, text: str) -> None:
        self.problem_label.setText(text)
        self.save_button.setEnabled(True)

    def done(self, result: int) -> None:
        self._suggester.shutdown()
        super().done(result)

    # an empty shortcut follows the title's initials until the agent types their own
    def _title_changed(self, title: str) -> None:
        self.validate()
        if self.shortcut.text() in ("", self._suggested):
            self._suggester.submit(title, lambda: initials(title)[:MAX_SHORTCUT_CHARS])

    def _on_suggestion(self, _title, suggestion: str) -> None:
        if self.shortcut.text() in ("", self._suggested):
            self._suggested = suggestion
            self.shortcut.setText(suggestion)

    def _shortcut_edited(self, text: str) -> None:
        lower = text.lower()
        if lower != text:  # upper case typed: the shortcut is lower case (KD → kd)
            pos = self.shortcut.cursorPosition()
            self.shortcut.setText(lower)
            self.shortcut.setCursorPosition(pos)
        self._suggested = ""  # the agent's own
