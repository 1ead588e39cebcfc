"""The quick-phrase library (快捷短语管理), from the agent menu: the team's phrases (团队) and
the agent's own (我的), each with category, title, shortcut and a preview of the text, a
filter box over all of it (also the title's pinyin initials), and add / edit / delete.

- Rights: the agent's own phrases are always editable; the team's only by the store manager
  (`AgentIdentity.role == "manager"`). For an agent the team's buttons stay disabled and say
  why in their tooltip (the server refuses it too: `forbidden`).
- Every edit is a writer job through the outbox (`models.phrases.create_phrase` /
  `update_phrase` / `delete_phrase`, via `SessionController.submit_write`): shown at once,
  "waiting to send" until the server has it; a write the server refused shows its reason.
- The form (`ui.phrase_editor.PhraseEditor`) checks what the server checks, as the agent
  types, and says it in words; Save stays disabled while the phrase would be refused.
- The library is read off the GUI thread (`LatestOnly`); a `phrases` change set or an
  outbox change of the agent's own writes re-reads it and the rows are taken in place: the
  selection stays where it was.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QTableView, QTabWidget, QVBoxLayout, QWidget)

from workstation.ui.errors import describe_error
from workstation.ui.phrase_editor import FAILED_COLOUR, PhraseEditor, initials, normalize
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

WAITING_COLOUR = "#b35c00"
PHRASE_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2
KINDS = ("phrase.create", "phrase.update", "phrase.delete")


def _phrases():
    from workstation.models import phrases  # noqa: PLC0415 (lazy: SQLAlchemy)

    return phrases


class LibraryRow:
    """One line of a list: the phrase, how it is searched, and a refusal by the server."""

    __slots__ = ("phrase", "search", "error")

    def __init__(self, phrase, search: str, error: str | None = None) -> None:
        self.phrase, self.search, self.error = phrase, search, error

    @property
    def key(self) -> tuple:
        p = self.phrase
        return ("id", p.id) if p.id is not None else ("new", p.mutation_id)

    @property
    def status(self) -> str:
        return "failed" if self.error else self.phrase.status

    def __eq__(self, other) -> bool:
        return isinstance(other, LibraryRow) and (self.phrase, self.error) == (other.phrase, other.error)


def read_library(engine, agent_no: str) -> list[LibraryRow]:
    """The whole library as the agent sees it, plus the agent's writes the server refused
    (a refused create is shown from its payload; a refused edit marks its phrase)."""
    from dataclasses import replace  # noqa: PLC0415

    from workstation.models import outbox  # noqa: PLC0415

    ph = _phrases()
    library = ph.phrases(engine, agent_no)
    refused = [e for e in outbox.entries(engine, statuses=("rejected",)) if e.kind in KINDS]
    errors = {e.entity_id: e for e in refused if e.kind != "phrase.create"}
    rows = []
    for p in library:
        e = errors.get(p.id) if p.id is not None else None
        if e is not None:
            p = replace(p, mutation_id=e.mutation_id)
        rows.append(_row(p, e.last_error if e is not None else None))
    for e in refused:
        if e.kind == "phrase.create":
            pl = e.payload
            team = bool(pl.get("team"))
            p = ph.Phrase(None, e.mutation_id, None if team else agent_no, team, str(pl.get("category", "other")),
                          str(pl.get("title", "")), str(pl.get("shortcut", "")), str(pl.get("text", "")), 0,
                          agent_no, e.created_at, status="failed")
            rows.append(_row(p, e.last_error or "refused"))
    return rows


def _row(p, error: str | None) -> LibraryRow:
    label = _phrases().CATEGORIES.get(p.category, p.category)
    search = " ".join((normalize(f"{label} {p.title} {p.shortcut} {p.text}"), initials(p.title)))
    return LibraryRow(p, search, error)


# ---- the lists ------------------------------------------------------------------------------

class PhraseTableModel(QAbstractTableModel):
    CATEGORY, TITLE, SHORTCUT, TEXT, STATE = range(5)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[LibraryRow] = []
        self._headers = (self.tr("Category"), self.tr("Title"), self.tr("Shortcut"), self.tr("Text"),
                         self.tr("State"))

    def rows(self) -> list[LibraryRow]:
        return list(self._rows)

    def set_rows(self, rows: list[LibraryRow]) -> None:
        """Same phrases in the same order: changed rows in place; else one reset."""
        if [r.key for r in rows] == [r.key for r in self._rows]:
            for i, (old, new) in enumerate(zip(self._rows, rows)):
                if old != new:
                    self._rows[i] = new
                    self.dataChanged.emit(self.index(i, 0), self.index(i, self.STATE))
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_of(self, key: tuple) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.key == key), None)

    def state_text(self, row: LibraryRow) -> str:
        if row.status == "failed":
            return self.tr("Not saved: %1").replace("%1", row.error or "")
        return {"queued": self.tr("waiting to send"), "sending": self.tr("sending…")}.get(row.status, "")

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 5

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        p, col = row.phrase, index.column()
        if role == PHRASE_ROLE:
            return row
        if role == SEARCH_ROLE:
            return row.search
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.CATEGORY:
                return p.category_label
            if col == self.TITLE:
                return p.title
            if col == self.SHORTCUT:
                return p.shortcut
            if col == self.TEXT:
                return " ".join(p.text.split())[:80]
            return self.state_text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.state_text(row) if col == self.STATE else p.text
        if role == Qt.ItemDataRole.ForegroundRole and row.status != "synced":
            return QBrush(QColor(FAILED_COLOUR if row.status == "failed" else WAITING_COLOUR))
        return None


class PhraseFilter(QSortFilterProxyModel):
    """Every word of the filter must occur in the phrase's search text (category, title,
    shortcut, text, the title's pinyin initials)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_query(self, query: str) -> None:
        self.beginFilterChange()
        self._words = normalize(query).split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        if not self._words:
            return True
        text = self.sourceModel().index(source_row, 0, source_parent).data(SEARCH_ROLE) or ""
        return all(w in text for w in self._words)


class PhraseList(QWidget):
    """One of the two lists with its buttons."""

    def __init__(self, team: bool, parent=None) -> None:
        super().__init__(parent)
        self.team = team
        self.model = PhraseTableModel(self)
        self.proxy = PhraseFilter(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.view = QTableView(self)
        self.view.setObjectName("teamPhrases" if team else "myPhrases")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        for col in (PhraseTableModel.CATEGORY, PhraseTableModel.SHORTCUT, PhraseTableModel.STATE):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PhraseTableModel.TITLE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(PhraseTableModel.TITLE, 140)
        header.setSectionResizeMode(PhraseTableModel.TEXT, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add…"), self)
        self.edit_button = QPushButton(self.tr("Edit…"), self)
        self.delete_button = QPushButton(self.tr("Delete…"), self)
        for b in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.count_label = QLabel(self)
        buttons.addWidget(self.count_label)
        layout.addLayout(buttons)

    def current(self) -> LibraryRow | None:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isSelected(index):
            return None
        return self.proxy.mapToSource(index).data(PHRASE_ROLE)

    def select_key(self, key: tuple | None) -> None:
        row = self.model.row_of(key) if key is not None else None
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.view.selectRow(index.row())


# ---- the dialog ------------------------------------------------------------------------------

class PhraseLibraryDialog(QDialog):
    library_shown = Signal(int)  # rows read (tests wait on it)
    saved = Signal(str)  # mutation id of a write the agent made here

    def __init__(self, parent=None, *, engine=None, identity=None, submit_write: Callable | None = None,
                 events=None) -> None:
        super().__init__(parent)
        self.setObjectName("phraseLibrary")
        self.setWindowTitle(self.tr("Quick phrases"))
        self._engine = engine
        self._identity = identity
        self._submit_write = submit_write
        self._events = events
        self.editor: PhraseEditor | None = None
        self.confirm_box: QMessageBox | None = None
        self._reader = LatestOnly(self, name="phrase-library")
        self._reader.finished.connect(self._on_library)
        self._reader.failed.connect(self._on_failed)
        layout = QVBoxLayout(self)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("phraseFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter.setPlaceholderText(self.tr("Filter: title, shortcut, text, category or pinyin initials"))
        self.filter.textChanged.connect(self._filter)
        layout.addWidget(self.filter)
        self.tabs = QTabWidget(self)
        self.team_list = PhraseList(True, self)
        self.my_list = PhraseList(False, self)
        self.tabs.addTab(self.team_list, self.tr("Team"))
        self.tabs.addTab(self.my_list, self.tr("Mine"))
        layout.addWidget(self.tabs, 1)
        self.status = QLabel(self)
        self.status.setObjectName("phraseLibraryStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        for lst in (self.team_list, self.my_list):
            lst.add_button.clicked.connect(lambda _c=False, t=lst.team: self.add_phrase(team=t))
            lst.edit_button.clicked.connect(lambda _c=False, w=lst: self.edit_phrase(w))
            lst.delete_button.clicked.connect(lambda _c=False, w=lst: self.delete_phrase(w))
            lst.view.activated.connect(lambda _i, w=lst: self.edit_phrase(w))  # Enter or a double click
            delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), lst.view)
            delete.setContext(Qt.ShortcutContext.WidgetShortcut)
            delete.activated.connect(lambda w=lst: self.delete_phrase(w))
            lst.view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
            lst.model.modelReset.connect(self._update_buttons)
        self.resize(760, 520)
        self._update_buttons()
        if events is not None:
            events.subscribe(self)
        self.refresh()

    # ---- rights -------------------------------------------------------------------------

    @property
    def is_manager(self) -> bool:
        return getattr(self._identity, "role", "agent") == "manager"

    def editable(self, team: bool) -> bool:
        return self._engine is not None and self._submit_write is not None and (not team or self.is_manager)

    def _update_buttons(self) -> None:
        for lst in (self.team_list, self.my_list):
            allowed = self.editable(lst.team)
            chosen = lst.current() is not None
            why = "" if allowed else (self.tr("Only the store manager can change the team's phrases")
                                      if lst.team else self.tr("Not connected to a cache"))
            lst.add_button.setEnabled(allowed)
            lst.edit_button.setEnabled(allowed and chosen)
            lst.delete_button.setEnabled(allowed and chosen)
            for b, tip in ((lst.add_button, self.tr("Add a phrase")), (lst.edit_button, self.tr("Edit the chosen phrase")),
                           (lst.delete_button, self.tr("Delete the chosen phrase"))):
                b.setToolTip(why or tip)
            n, shown = lst.model.rowCount(), lst.proxy.rowCount()
            lst.count_label.setText(self.tr("%1 phrases").replace("%1", str(n)) if n == shown else
                                    self.tr("%1 of %2 phrases").replace("%1", str(shown)).replace("%2", str(n)))
        team_note = "" if self.is_manager else self.tr(" (read only)")
        self.tabs.setTabText(0, self.tr("Team") + team_note)

    # ---- reads ------------------------------------------------------------------------

    def refresh(self) -> None:
        engine, agent_no = self._engine, getattr(self._identity, "agent_no", "") or ""
        if engine is None:
            return
        self._reader.submit(engine, lambda: read_library(engine, agent_no))

    def _on_library(self, engine, rows: list[LibraryRow]) -> None:
        if engine is not self._engine:
            return
        for lst in (self.team_list, self.my_list):
            chosen = lst.current()
            lst.model.set_rows([r for r in rows if r.phrase.team == lst.team])
            if chosen is not None and lst.current() is None:
                lst.select_key(chosen.key)
        self._update_buttons()
        self.library_shown.emit(len(rows))

    def _on_failed(self, _engine, exc: BaseException) -> None:
        log.warning("the phrase library could not be read: %s", exc)
        self.status.setText(self.tr("The phrases could not be read: %1").replace("%1", describe_error(exc)))

    def on_phrases_changed(self, change) -> None:
        if change:
            self.refresh()

    def on_outbox_changed(self, ids) -> None:
        mine = {r.phrase.mutation_id for lst in (self.team_list, self.my_list) for r in lst.model.rows()}
        if mine & set(ids):
            self.refresh()  # one of the agent's edits went out, or was refused
        else:
            # A read still on its way may be older than this change (the refusal of a phrase
            # just saved, which the list does not show yet): or it would stay "waiting to send".
            self._reader.again_when_done()

    def _filter(self, text: str) -> None:
        for lst in (self.team_list, self.my_list):
            lst.proxy.set_query(text)
        self._update_buttons()

    # ---- writes ---------------------------------------------------------------------------

    def add_phrase(self, *, team: bool) -> PhraseEditor | None:
        if not self.editable(team):
            return None
        return self._open_editor(team, None)

    def edit_phrase(self, lst: PhraseList) -> PhraseEditor | None:
        row = lst.current()
        if row is None or not self.editable(lst.team):
            return None
        return self._open_editor(lst.team, row.phrase, refused=row.phrase.mutation_id if row.error else None)

    def _open_editor(self, team: bool, phrase, *, refused: str | None = None) -> PhraseEditor:
        if self.editor is not None:
            self.editor.close()
        editor = PhraseEditor(self, team=team, phrase=phrase)
        editor.refused = refused
        editor.save_requested.connect(lambda fields: self._save(editor, fields))
        self.editor = editor
        editor.open()
        return editor

    def _save(self, editor: PhraseEditor, fields: dict) -> None:
        ph, phrase, team, refused = _phrases(), editor.phrase, editor.team, editor.refused
        agent_id = getattr(self._identity, "id", None)

        def job(engine):
            changes = ph.ChangeSet()
            if refused is not None:  # the write the server refused is replaced by this one
                from workstation.models import outbox  # noqa: PLC0415

                changes = outbox.discard(engine, refused, initiator=self)
            if phrase is None or phrase.id is None and refused is not None:  # new, or a refused create again
                return changes.merge(ph.create_phrase(engine, team=team, agent_id=agent_id, initiator=self, **fields))
            target = phrase.id if phrase.id is not None else phrase.mutation_id
            return changes.merge(ph.update_phrase(engine, target, initiator=self, **fields))
        what = self.tr("The phrase could not be saved")

        def done(changes) -> None:
            editor.accept()
            self.status.setText("")
            for mid in getattr(changes, "outbox", ()):
                if mid != refused:
                    self.saved.emit(mid)
            self.refresh()

        self._submit_write(job, what=what, on_done=done,
                           on_error=lambda exc: editor.show_error(f"{what}: {describe_error(exc)}"))

    def delete_phrase(self, lst: PhraseList) -> QMessageBox | None:
        row = lst.current()
        if row is None or not self.editable(lst.team):
            return None
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete phrase"),
                          self.tr("Delete the phrase “%1”?").replace("%1", row.phrase.title),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Delete"))
        box.button(QMessageBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes and self._delete(row))
        self.confirm_box = box
        box.open()
        return box

    def _delete(self, row: LibraryRow) -> None:
        ph, p = _phrases(), row.phrase
        if row.status == "failed" and p.mutation_id:
            from workstation.models import outbox  # noqa: PLC0415

            job = lambda engine: outbox.discard(engine, p.mutation_id, initiator=self)  # noqa: E731
        else:
            target = p.id if p.id is not None else p.mutation_id
            job = lambda engine: ph.delete_phrase(engine, target, initiator=self)  # noqa: E731
        what = self.tr("The phrase could not be deleted")

        def done(changes) -> None:
            self.status.setText("")
            for mid in getattr(changes, "outbox", ()):
                self.saved.emit(mid)
            self.refresh()

        self._submit_write(job, what=what, on_done=done,
                           on_error=lambda exc: self.status.setText(f"{what}: {describe_error(exc)}"))

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

    def shutdown(self) -> None:
        if self._events is not None:
            self._events.unsubscribe(self)
        self._reader.shutdown()
