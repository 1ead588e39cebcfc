"""The queue: open conversations, longest waiting first, with a live wait timer, the unread
count, the last message and who has it; overdue buyers are marked in words and colour.

Reads are one indexed query (`models.conversations.queue`) off the GUI thread; a change set
naming conversations (or the outbox: queued/held replies) re-reads it and the model takes
the rows in place (`QueueModel.sync_rows`), so a buyer writing re-sorts the list without
losing the agent's selection. One QTimer ticks the wait column only, and only while the
pane is visible.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QHBoxLayout, QHeaderView, QLabel, QTableView,
                               QToolButton, QVBoxLayout, QWidget)

from workstation.ui.errors import describe_error
from workstation.ui.queue_model import Column, QueueModel, utc_now
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

TICK_MS = 1000
VIEWS = ("open", "mine", "unassigned")


def _default_queue(engine, view: str, agent_no: str):
    from workstation.models import conversations  # noqa: PLC0415 (lazy: SQLAlchemy)

    return conversations.queue(engine, view=view, agent_no=agent_no)


def _default_agents(engine):
    from workstation.models import conversations  # noqa: PLC0415

    return conversations.agents(engine)


class QueuePane(QWidget):
    conversation_selected = Signal(int)  # the agent opened this conversation
    rows_shown = Signal(int)  # a read of the queue reached the list (row count)
    view_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, queue_fn: Callable | None = None,
                 agents_fn: Callable | None = None, clock=utc_now, overdue_after_s: int = 100,
                 view: str = "open") -> None:
        super().__init__(parent)
        self.setObjectName("queuePane")
        self._queue_fn = queue_fn or _default_queue
        self._agents_fn = agents_fn or _default_agents
        self._engine = None
        self._agent_no = ""
        self._view = view if view in VIEWS else "open"
        self._shown_key: tuple | None = None  # (engine, view, agent) of the rows shown
        self.model = QueueModel(self, clock=clock, overdue_after_s=overdue_after_s)
        self._reader = LatestOnly(self, name="queue")
        self._reader.finished.connect(self._on_rows)
        self._reader.failed.connect(self._on_failed)
        self._agents_reader = LatestOnly(self, name="queue-agents")
        self._agents_reader.finished.connect(lambda _r, agents: self.model.set_agent_names(
            {a.agent_no: a.display_name for a in agents}))
        self._agents_reader.failed.connect(lambda _r, exc: log.warning("agents could not be read: %s", exc))
        self.reads_issued = 0
        self._hint = ""
        self._opened: int | None = None  # the conversation the agent opened from here
        self._updating = False  # rows moving under the cursor are not the agent's choice
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._build()
        self._update_tooltip()

    # ---- inputs -------------------------------------------------------------------------

    def set_engine(self, engine) -> None:
        self._reader.cancel()
        self._engine = engine
        if engine is None:
            self._shown_key = None
            self._opened = None
            self.model.set_rows([])
            self._update_info()
            return
        self.refresh()
        self._agents_reader.submit(None, lambda: self._agents_fn(engine))

    def set_agent(self, agent_no: str | None) -> None:
        agent_no = agent_no or ""
        if agent_no != self._agent_no:
            self._agent_no = agent_no
            self.refresh()

    def set_overdue_after(self, seconds: int) -> None:
        self.model.set_overdue_after(seconds)
        self._update_tooltip()
        self._update_info()

    @property
    def view(self) -> str:
        return self._view

    def set_view(self, view: str) -> None:
        if view not in VIEWS:
            raise ValueError(f"unknown queue view {view!r}")
        self._view_buttons[view].setChecked(True)
        if view != self._view:
            self._view = view
            self.table.setColumnHidden(Column.ASSIGNEE, view == "mine")
            self.view_changed.emit(view)
            self.refresh()

    # ---- change events (ui/events.py) ---------------------------------------------------

    def on_conversations_changed(self, change) -> None:
        if change:
            self.refresh()

    def on_agents_changed(self, change) -> None:
        if change and self._engine is not None:
            engine = self._engine
            self._agents_reader.submit(None, lambda: self._agents_fn(engine))

    def on_outbox_changed(self, _ids) -> None:
        self.refresh()  # the queued / held marks of a row

    # ---- actions ------------------------------------------------------------------------

    def current_conversation_id(self) -> int | None:
        """The conversation the agent opened from the queue (also while it is not listed)."""
        return self._opened

    def select_conversation(self, conversation_id: int) -> bool:
        row = self.model.row_of(conversation_id)
        if row is None:
            return False
        self._select_row(row)
        return True

    def open_next_waiting(self) -> int | None:
        """The hotkey: open the buyer waiting longest (the next one when that is open already)."""
        current = self.current_conversation_id()
        waiting = [r for r in self.model.rows() if r.waiting_since is not None]
        for row in waiting:
            if row.conversation_id != current:
                self.select_conversation(row.conversation_id)
                return row.conversation_id
        return None

    def refresh(self) -> None:
        engine = self._engine
        if engine is None:
            return
        view, agent_no, fn = self._view, self._agent_no, self._queue_fn
        self.reads_issued += 1
        self._reader.submit((engine, view, agent_no), lambda: fn(engine, view, agent_no))

    def shutdown(self) -> None:
        self.timer.stop()
        self._reader.shutdown()
        self._agents_reader.shutdown()

    # ---- Qt -----------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.model.tick()
        self.timer.start()

    def hideEvent(self, event) -> None:
        self.timer.stop()
        super().hideEvent(event)

    # ---- internals ----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 0)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        bar.setSpacing(2)
        self._view_group = QButtonGroup(self)
        self._view_group.setExclusive(True)
        self._view_buttons: dict[str, QToolButton] = {}
        for view, label in (("open", self.tr("All open")), ("mine", self.tr("Mine")),
                            ("unassigned", self.tr("Unassigned"))):
            button = QToolButton(self)
            button.setObjectName(f"queueView_{view}")
            button.setText(label)
            button.setCheckable(True)
            button.setChecked(view == self._view)
            button.setAutoRaise(True)
            button.clicked.connect(lambda _checked=False, v=view: self.set_view(v))
            self._view_group.addButton(button)
            self._view_buttons[view] = button
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)

        self.table = QTableView(self)
        self.table.setObjectName("queueTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.PREVIEW, QHeaderView.ResizeMode.Stretch)
        self._size_columns()
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        layout.addWidget(self.table, 1)

        self.info = QLabel(self)
        self.info.setObjectName("queueInfo")
        layout.addWidget(self.info)
        self._update_info()

    def _size_columns(self) -> None:
        """Widths from sample content in the current font (Chinese and digits differ a lot);
        the last message takes what is left."""
        fm, header = self.table.fontMetrics(), self.table.horizontalHeader()
        pad = 14
        samples = {Column.BUYER: "tb_buyer_12", Column.WAIT: self.tr("Overdue %1").replace("%1", "59:59"),
                   Column.UNREAD: "99", Column.ASSIGNEE: "2048"}
        for column, sample in samples.items():
            title = self.model.headerData(column, Qt.Orientation.Horizontal)
            header.resizeSection(column, max(fm.horizontalAdvance(sample), fm.horizontalAdvance(title)) + pad)
        self.table.setColumnHidden(Column.ASSIGNEE, self._view == "mine")  # all the agent's own

    def set_hint(self, text: str) -> None:
        """A line for the list's tooltip (the window's hotkey for the next waiting buyer)."""
        self._hint = text
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        text = self.tr("Red \"Overdue\": waiting longer than %1").replace("%1", self._threshold_text())
        self.table.setToolTip(f"{self._hint}\n{text}" if self._hint else text)

    def _threshold_text(self) -> str:
        from workstation.ui.queue_model import wait_text  # noqa: PLC0415

        return wait_text(self.model.overdue_after_s)

    def _tick(self) -> None:
        self.model.tick()
        self._update_info()  # the overdue count

    def _on_rows(self, request, rows) -> None:
        if request != (self._engine, self._view, self._agent_no):
            return  # asked for another cache / filter / agent
        key = request
        self._updating = True
        try:
            if self._shown_key == key:
                self.model.sync_rows(rows)  # an update: in place
            else:
                self.model.set_rows(rows)
                self._shown_key = key
            self._keep_selection()
        finally:
            self._updating = False
        self._update_info()
        self.rows_shown.emit(len(rows))

    def _on_failed(self, _request, exc: BaseException) -> None:
        log.warning("the queue could not be read: %s", exc)
        self.info.setText(self.tr("The queue could not be read: %1").replace("%1", describe_error(exc)))

    def _keep_selection(self) -> None:
        """The opened conversation stays the selected row; when it left the list (closed,
        taken by a colleague in this view) nothing else gets selected in its place."""
        row = self.model.row_of(self._opened) if self._opened is not None else None
        if row is not None:
            if self.table.currentIndex().row() != row:
                self._select_row(row)
        elif self.table.currentIndex().isValid():
            self.table.selectionModel().clear()

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._updating:
            return
        row = self.model.row_at(current.row())
        if row is not None and row.conversation_id != self._opened:
            self._opened = row.conversation_id
            self.conversation_selected.emit(row.conversation_id)

    def _update_info(self) -> None:
        rows = self.model.rows()
        waiting = sum(1 for r in rows if r.waiting_since is not None)
        overdue = sum(1 for r in rows if self.model.is_overdue(r))
        if self._engine is None:
            self.info.setText("")
        elif not rows:
            self.info.setText(self.tr("No open conversations"))
        else:
            text = self.tr("%1 open · %2 waiting").replace("%1", str(len(rows))).replace("%2", str(waiting))
            if overdue:
                text += " · " + self.tr("%1 overdue").replace("%1", str(overdue))
            self.info.setText(text)
