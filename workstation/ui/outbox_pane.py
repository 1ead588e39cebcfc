"""What is still waiting to be sent: every write of this agent the server has not confirmed
yet, and the ones it refused, with the real reason.

Rows are the outbox entries that are not done (pending, being sent, conflicting, refused),
oldest first. "Retry" resends an entry with the SAME mutation id (never a duplicate on the
server); "Discard" asks first, then drops the entry and undoes its local change. Both only
emit signals: the session performs them through the cache writer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt

STATUS_COLOURS = {"pending": "#b35c00", "inflight": "#1558b0", "conflict": "#c62828", "rejected": "#c62828"}


@dataclass(frozen=True)
class OutboxEntry:
    mutation_id: str
    kind: str
    entity_id: int | None
    summary: str  # what the agent wrote, short (e.g. the remark's first line)
    status: str  # pending / inflight / conflict / rejected
    attempts: int
    last_error: str | None
    created_at: datetime | None


class OutboxModel(QAbstractTableModel):
    COLUMNS = ("status", "what", "created", "attempts", "error")
    MutationIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[OutboxEntry] = []

    def set_entries(self, entries: list[OutboxEntry]) -> None:
        """Rows changed in place are updated with dataChanged; only a different set of ids
        resets the model (selection survives a status change)."""
        entries = list(entries)
        if [e.mutation_id for e in entries] == [e.mutation_id for e in self._rows]:
            for row, (old, new) in enumerate(zip(self._rows, entries)):
                if old != new:
                    self._rows[row] = new
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))
            return
        self.beginResetModel()
        self._rows = entries
        self.endResetModel()

    def entry(self, row: int) -> OutboxEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return {"status": self.tr("State"), "what": self.tr("Change"), "created": self.tr("Written"),
                "attempts": self.tr("Tries"), "error": self.tr("Last error")}[self.COLUMNS[section]]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self._rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == self.MutationIdRole:
            return e.mutation_id
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "status":
                return "● " + status_label(e.status)
            if column == "what":
                return e.summary
            if column == "created":
                return fmt.freshness(e.created_at) if e.created_at else ""
            if column == "attempts":
                return str(e.attempts)
            return e.last_error or ""
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QColor(STATUS_COLOURS.get(e.status, "#6d6d6d"))
        if role == Qt.ItemDataRole.ToolTipRole and column in ("what", "error"):
            return e.summary if column == "what" else (e.last_error or None)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "attempts":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def status_label(status: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return {
        "pending": QCoreApplication.translate("Outbox", "Waiting to send"),
        "inflight": QCoreApplication.translate("Outbox", "Sending"),
        "conflict": QCoreApplication.translate("Outbox", "Conflict: merge needed"),
        "rejected": QCoreApplication.translate("Outbox", "Refused by the server"),
    }.get(status, status)


class OutboxPane(QWidget):
    retry_requested = Signal(str)  # mutation id
    discard_requested = Signal(str)  # mutation id (the agent confirmed)
    open_requested = Signal(str)  # mutation id: show the entity (e.g. merge a conflict)

    def __init__(self, parent: QWidget | None = None, *, confirm=None) -> None:
        super().__init__(parent)
        self._confirm = confirm or self._ask_discard
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.summary = QLabel(self)
        self.summary.setObjectName("outboxSummary")
        layout.addWidget(self.summary)
        self.model = OutboxModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("outboxTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda index: self._emit_for(index, self.open_requested))
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.retry_button = QPushButton(self.tr("Retry now"), self)
        self.retry_button.setToolTip(self.tr("Send the selected change again (the same change, never twice)"))
        self.discard_button = QPushButton(self.tr("Discard…"), self)
        self.discard_button.setToolTip(self.tr("Drop the selected change and undo it on this PC"))
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.retry_button.clicked.connect(lambda: self._emit_for(self.table.currentIndex(), self.retry_requested))
        self.discard_button.clicked.connect(self._discard)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.set_entries([])

    def set_entries(self, entries: list[OutboxEntry]) -> None:
        current = QPersistentModelIndex(self.table.currentIndex())
        self.model.set_entries(entries)
        if not current.isValid() and self.model.rowCount():
            self.table.selectRow(0)
        n = self.model.rowCount()
        parked = sum(1 for e in entries if e.status in ("conflict", "rejected"))
        if n == 0:
            self.summary.setText(self.tr("Everything you wrote has reached the server."))
        else:
            text = self.tr("%1 changes not confirmed by the server yet").replace("%1", str(n))
            if parked:
                text += " · " + self.tr("%1 need your attention").replace("%1", str(parked))
            self.summary.setText(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        entry = self.model.entry(self.table.currentIndex().row())
        self.retry_button.setEnabled(entry is not None and entry.status in ("pending", "rejected"))
        self.discard_button.setEnabled(entry is not None and entry.status != "inflight")

    def _emit_for(self, index, signal) -> None:
        entry = self.model.entry(index.row()) if index.isValid() else None
        if entry is not None:
            signal.emit(entry.mutation_id)

    def _discard(self) -> None:
        entry = self.model.entry(self.table.currentIndex().row())
        if entry is not None and self._confirm(entry):
            self.discard_requested.emit(entry.mutation_id)

    def _ask_discard(self, entry: OutboxEntry) -> bool:
        answer = QMessageBox.question(
            self, self.tr("Discard this change?"),
            self.tr("“%1” has not reached the server. Discarding it undoes it on this PC too; "
                    "colleagues will never see it.").replace("%1", entry.summary),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard
