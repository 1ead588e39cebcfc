"""The queue's item model: the open conversations, longest waiting first (the order
`models.conversations.queue` returns), one row each.

- Rows are `QueueRow`s from the cache. `sync_rows` takes a newer list in place: rows that
  left are removed, rows that moved are moved, changed rows get `dataChanged`; the model is
  never reset for an update, so the agent's selection and scroll position stay.
- The wait column is the only one that changes with time: `tick()` emits `dataChanged` for
  that column alone (the pane calls it once a second while it is visible). The clock is
  injected (`clock()` -> naive UTC datetime) so tests drive time instead of sleeping.
- A buyer waiting longer than the threshold is overdue: the wait cell says so in words
  ("超时 3:12") AND in colour, never colour alone.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from enum import IntEnum

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

CONVERSATION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 3  # bool
WAIT_SECONDS_ROLE = Qt.ItemDataRole.UserRole + 4  # int or None (answered)

OVERDUE_BACKGROUND = QColor("#fde0dc")
OVERDUE_FOREGROUND = QColor("#b71c1c")
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class Column(IntEnum):
    BUYER = 0
    WAIT = 1
    UNREAD = 2
    PREVIEW = 3
    ASSIGNEE = 4


def utc_now() -> datetime:
    """Naive UTC, like the cache's times."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def wait_text(seconds: int) -> str:
    """m:ss under an hour, h:mm from then on (a buyer waiting an hour is not counted in seconds)."""
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


class QueueModel(QAbstractTableModel):
    def __init__(self, parent=None, *, clock: Callable[[], datetime] = utc_now,
                 overdue_after_s: int = 100) -> None:
        super().__init__(parent)
        self._rows: list = []
        self._clock = clock
        self._overdue_after_s = max(1, int(overdue_after_s))
        self._agent_names: dict[str, str] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._overdue_bg, self._overdue_fg = QBrush(OVERDUE_BACKGROUND), QBrush(OVERDUE_FOREGROUND)
        self.ticks = 0  # timer-column updates emitted (tests read it)

    # ---- configuration ------------------------------------------------------------------

    @property
    def overdue_after_s(self) -> int:
        return self._overdue_after_s

    def set_overdue_after(self, seconds: int) -> None:
        seconds = max(1, int(seconds))
        if seconds != self._overdue_after_s:
            self._overdue_after_s = seconds
            self.tick()

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.tick()

    def set_agent_names(self, names: dict[str, str]) -> None:
        """agent_no -> display name, for the assignee column."""
        self._agent_names = dict(names)
        if self._rows:
            self.dataChanged.emit(self.index(0, Column.ASSIGNEE), self.index(len(self._rows) - 1, Column.ASSIGNEE))

    # ---- rows ---------------------------------------------------------------------------

    def set_rows(self, rows: Sequence) -> None:
        """A different list altogether (another filter, another cache): one reset."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def sync_rows(self, rows: Sequence) -> None:
        """Take `rows` (the queue as it is now, in its order) in place: remove, move, insert
        and update single rows; never a reset. Moves are few: the rows that keep their
        relative order (the longest increasing run) stay, only the others move (a buyer
        writing moves one row, not every row between its old and new place)."""
        rows = list(rows)
        new_pos = {r.conversation_id: i for i, r in enumerate(rows)}
        for i in range(len(self._rows) - 1, -1, -1):
            if self._rows[i].conversation_id not in new_pos:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self.endRemoveRows()
        stable = _longest_increasing([new_pos[r.conversation_id] for r in self._rows])
        stable_ids = {self._rows[i].conversation_id for i in stable}
        last = len(Column) - 1
        for target, row in enumerate(rows):
            occupant = self._rows[target] if target < len(self._rows) else None
            while (occupant is not None and occupant.conversation_id != row.conversation_id
                   and occupant.conversation_id not in stable_ids):
                # Out of order itself: out of the way to the end; its own turn places it.
                end = len(self._rows)
                self.beginMoveRows(QModelIndex(), target, target, QModelIndex(), end)
                self._rows.append(self._rows.pop(target))
                self.endMoveRows()
                stable_ids.add(occupant.conversation_id)  # moved once: never pushed again
                occupant = self._rows[target]
            current = self._find(row.conversation_id, start=target)
            if current is None:
                self.beginInsertRows(QModelIndex(), target, target)
                self._rows.insert(target, row)
                self.endInsertRows()
                continue
            if current != target:  # everything before `target` is in place: current > target
                self.beginMoveRows(QModelIndex(), current, current, QModelIndex(), target)
                self._rows.insert(target, self._rows.pop(current))
                self.endMoveRows()
            if self._rows[target] != row:
                self._rows[target] = row
                self.dataChanged.emit(self.index(target, 0), self.index(target, last))

    def _find(self, conversation_id: int, start: int = 0) -> int | None:
        for i in range(start, len(self._rows)):
            if self._rows[i].conversation_id == conversation_id:
                return i
        return None

    def row_of(self, conversation_id: int) -> int | None:
        return self._find(conversation_id)

    def row_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list:
        return list(self._rows)

    def tick(self) -> None:
        """Time passed: only the wait column changes."""
        if self._rows:
            self.ticks += 1
            self.dataChanged.emit(self.index(0, Column.WAIT), self.index(len(self._rows) - 1, Column.WAIT),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole,
                                   Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole,
                                   Qt.ItemDataRole.AccessibleTextRole, OVERDUE_ROLE, WAIT_SECONDS_ROLE])

    # ---- Qt model -----------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return {Column.BUYER: self.tr("Buyer"), Column.WAIT: self.tr("Waiting"),
                    Column.UNREAD: self.tr("Unread"), Column.PREVIEW: self.tr("Last message"),
                    Column.ASSIGNEE: self.tr("Agent")}[Column(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (Column.WAIT, Column.UNREAD):
            return _RIGHT
        return None

    def wait_seconds(self, row) -> int | None:
        if row.waiting_since is None:
            return None
        return max(0, int((self._clock() - row.waiting_since).total_seconds()))

    def is_overdue(self, row) -> bool:
        seconds = self.wait_seconds(row)
        return seconds is not None and seconds >= self._overdue_after_s

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == CONVERSATION_ID_ROLE:
            return row.conversation_id
        if role == ROW_ROLE:
            return row
        if column == Column.WAIT:
            return self._wait_data(row, role)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.UNREAD:
            return _RIGHT
        if role == Qt.ItemDataRole.FontRole and column == Column.BUYER and row.unread:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.PREVIEW:
            return row.last_message_preview or None
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.ASSIGNEE and row.assigned_agent_no:
            name = self._agent_names.get(row.assigned_agent_no)
            return f"{name} {row.assigned_agent_no}" if name else None
        return None

    def _display(self, row, column: int) -> str:
        if column == Column.BUYER:
            return row.buyer_nick or self.tr("Buyer %1").replace("%1", str(row.buyer_id))
        if column == Column.UNREAD:
            return str(row.unread) if row.unread else ""
        if column == Column.PREVIEW:
            preview = (row.last_message_preview or "").replace("\n", " ")
            held = getattr(row, "held", 0) or 0
            return self.tr("[held] %1").replace("%1", preview) if held else preview
        if column == Column.ASSIGNEE:
            no = row.assigned_agent_no
            if not no:
                return self.tr("Unassigned")
            return no  # the name is in the tooltip: the column stays narrow
        return ""

    def _wait_data(self, row, role: int):
        seconds = self.wait_seconds(row)
        overdue = seconds is not None and seconds >= self._overdue_after_s
        if role == OVERDUE_ROLE:
            return overdue
        if role == WAIT_SECONDS_ROLE:
            return seconds
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if seconds is None:
                return self.tr("answered") if role == Qt.ItemDataRole.AccessibleTextRole else ""
            text = wait_text(seconds)
            return self.tr("Overdue %1").replace("%1", text) if overdue else text
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        if role == Qt.ItemDataRole.BackgroundRole and overdue:
            return self._overdue_bg
        if role == Qt.ItemDataRole.ForegroundRole and overdue:
            return self._overdue_fg
        if role == Qt.ItemDataRole.FontRole and overdue:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and seconds is not None:
            return self.tr("Waiting since the buyer's first unanswered message; overdue after %1")\
                .replace("%1", wait_text(self._overdue_after_s))
        return None


def _longest_increasing(values: list[int]) -> list[int]:
    """Indexes of one longest strictly increasing subsequence of `values` (patience sort)."""
    from bisect import bisect_left  # noqa: PLC0415

    tails: list[int] = []  # values
    tail_at: list[int] = []  # their indexes
    before = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect_left(tails, v)
        if k:
            before[i] = tail_at[k - 1]
        if k == len(tails):
            tails.append(v)
            tail_at.append(i)
        else:
            tails[k], tail_at[k] = v, i
    out, i = [], tail_at[-1] if tail_at else -1
    while i >= 0:
        out.append(i)
        i = before[i]
    return out[::-1]
