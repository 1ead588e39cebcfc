"""The conversation's messages as an item model: one row per `MessageRow` of
`models.conversations.history` (oldest first), with who wrote it, when, and for the agent's
own replies where they are: queued offline / sending / sent / failed (why) / held (why).

Newer history is taken in place: the same rows get `dataChanged`, new ones at the end are
inserted; only a history that differs before its end (another conversation) resets.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractListModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from workstation.ui import formatting as fmt

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1  # the MessageRow
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2  # "synced" | "queued" | "sending" | "failed" | "held"
STATE_TEXT_ROLE = Qt.ItemDataRole.UserRole + 3  # the state line of the agent's own reply ("" otherwise)
MATCH_ROLE = Qt.ItemDataRole.UserRole + 4  # bool: a hit of the history search

_MATCH_BACKGROUND = QColor("#fff4b3")
_PROBLEM = QColor("#c62828")
_WAITING = QColor("#6b6b6b")
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def held_reason_text(code: str | None) -> str:
    """Why a reply was held back, in the agent's words."""
    return {
        "buyer_wrote": QCoreApplication.translate("Messages", "The buyer wrote again"),
        "colleague_replied": QCoreApplication.translate("Messages", "A colleague already replied"),
        "closed": QCoreApplication.translate("Messages", "The conversation was closed"),
        "changed": QCoreApplication.translate("Messages", "The conversation was transferred"),
    }.get(code or "", QCoreApplication.translate("Messages", "The conversation changed"))


def state_text(status: str, error: str | None = None, held_reason: str | None = None) -> str:
    if status == "queued":
        return QCoreApplication.translate("Messages", "Queued offline")
    if status == "sending":
        return QCoreApplication.translate("Messages", "Sending…")
    if status == "synced":
        return QCoreApplication.translate("Messages", "Sent")
    if status == "failed":
        why = error or QCoreApplication.translate("Messages", "refused by the server")
        return QCoreApplication.translate("Messages", "Failed: %1").replace("%1", why)
    if status == "held":
        return QCoreApplication.translate("Messages", "Held: %1").replace("%1", held_reason_text(held_reason))
    return ""


def row_key(m) -> tuple:
    """A message's identity across reads: its mutation id while it is the agent's own reply
    not yet on the server, else its message id."""
    return ("m", m.mutation_id) if m.message_id is None else ("i", m.message_id)


class MessageModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list = []
        self._agent_no = ""
        self._buyer = ""
        self._names: dict[str, str] = {}
        self._matches: frozenset[int] = frozenset()
        self._match_brush = QBrush(_MATCH_BACKGROUND)

    def set_context(self, *, agent_no: str, buyer_nick: str, names: dict[str, str] | None = None) -> None:
        self._agent_no, self._buyer = agent_no or "", buyer_nick or ""
        if names is not None:
            self._names = dict(names)
        self._all_changed()

    def set_messages(self, rows: Sequence) -> None:
        rows = list(rows)
        old_keys = [row_key(m) for m in self._rows]
        new_keys = [row_key(m) for m in rows]
        # The agent's reply arriving from the server replaces its local row (same place).
        if len(new_keys) < len(old_keys) or not _same_prefix(self._rows, rows):
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
            return
        for i, new in enumerate(rows[:len(self._rows)]):
            if self._rows[i] != new:
                self._rows[i] = new
                self.dataChanged.emit(self.index(i), self.index(i))
        if len(new_keys) > len(old_keys):
            self.beginInsertRows(QModelIndex(), len(self._rows), len(rows) - 1)
            self._rows.extend(rows[len(self._rows):])
            self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._matches = frozenset()
        self.endResetModel()

    def set_matches(self, message_ids) -> None:
        self._matches = frozenset(message_ids)
        self._all_changed()

    def rows(self) -> list:
        return list(self._rows)

    def message_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of_message(self, message_id: int) -> int | None:
        for i, m in enumerate(self._rows):
            if m.message_id == message_id:
                return i
        return None

    def held(self) -> list:
        """The agent's replies waiting for a decision (held back, or refused)."""
        return [m for m in self._rows if m.status in ("held", "failed")]

    def newest_message_id(self) -> int:
        return max((m.message_id for m in self._rows if m.message_id is not None), default=0)

    def is_own(self, m) -> bool:
        return m.sender == "agent" and (m.message_id is None or (m.agent_no or "") == self._agent_no)

    def sender_label(self, m) -> str:
        if m.sender == "buyer":
            return self._buyer or QCoreApplication.translate("Messages", "Buyer")
        if m.sender == "auto":
            return QCoreApplication.translate("Messages", "Auto reply")
        if m.sender == "system":
            return QCoreApplication.translate("Messages", "System")
        if self.is_own(m):
            return QCoreApplication.translate("Messages", "Me")
        name = self._names.get(m.agent_no or "")
        if name:
            return f"{name} {m.agent_no}"
        return QCoreApplication.translate("Messages", "Agent %1").replace("%1", m.agent_no or "?")

    # ---- Qt model -----------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        m = self._rows[index.row()]
        own = self.is_own(m)
        if role == MESSAGE_ROLE:
            return m
        if role == STATUS_ROLE:
            return m.status
        if role == STATE_TEXT_ROLE:
            return state_text(m.status, m.error, m.held_reason) if own else ""
        if role == MATCH_ROLE:
            return m.message_id in self._matches
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            head = f"{self.sender_label(m)}  {fmt.chat_time(m.at) if m.at else ''}".rstrip()
            if own:
                head += "  · " + state_text(m.status, m.error, m.held_reason)
            return f"{head}\n{m.text}"
        if role == Qt.ItemDataRole.ToolTipRole and own and m.status in ("failed", "held"):
            return state_text(m.status, m.error, m.held_reason)
        if role == Qt.ItemDataRole.TextAlignmentRole and own:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and own:
            if m.status in ("failed", "held"):
                return QBrush(_PROBLEM)
            if m.status in ("queued", "sending"):
                return QBrush(_WAITING)
        if role == Qt.ItemDataRole.BackgroundRole and m.message_id in self._matches:
            return self._match_brush
        return None

    def _all_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))


def _same_prefix(old: list, new: list) -> bool:
    """Whether `new` continues `old`: the same messages in the same places, where a local
    reply may have become the server's message (its mutation id stays)."""
    for a, b in zip(old, new):
        if row_key(a) == row_key(b):
            continue
        if a.mutation_id is not None and a.mutation_id == b.mutation_id:
            continue
        return False
    return True
