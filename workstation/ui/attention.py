"""Attention: no waiting buyer goes unnoticed while the window is behind another program.

- A tray icon (when the system has a tray and the agent wants it) whose tooltip and badge
  show the unread and overdue counts of the queue.
- `QApplication.alert(window)` (the taskbar entry flashes) on a new buyer message or a
  buyer becoming overdue while the window is not active; optionally a sound
  (`QApplication.beep`).
- The alert for a conversation stays until the agent opens that conversation: while it
  stays overdue it is raised again every `REALERT_S` seconds. A conversation that leaves
  the queue, is answered, or is taken by a colleague no longer needs the agent.
- Only the agent's own buyers and unassigned ones raise it (a colleague's buyer is the
  colleague's to answer); the counts cover the queue as shown.

Nothing is read from the cache here: the figures come from the rows the queue pane already
holds (`QueuePane.model`) and its overdue rule (`QueueModel.is_overdue`), once per second
on a timer of our own (the queue's own timer stops while the window is minimised). The
alert, the sound and "is the window active" are hooks, so tests drive them without a
taskbar or a speaker.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

TICK_MS = 1000
REALERT_S = 60  # an overdue buyer still not opened flashes the taskbar again this often


def _app_window_active(window: QWidget) -> bool:
    """The agent is looking at the window, or at one of its dialogs (a merge, the phrase
    library): those have the window as (grand)parent."""
    active = QApplication.activeWindow()
    while active is not None:
        if active is window:
            return True
        active = active.parentWidget()
    return False


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


def badge_icon(count: int, *, urgent: bool) -> QIcon:
    """The tray icon: a chat bubble colour (red when a buyer is overdue) with the count."""
    size = 64
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#c62828" if urgent else "#1565c0"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRect(2, 2, size - 4, size - 4), 14, 14)
    if count:
        font = QFont()
        font.setBold(True)
        font.setPixelSize(36 if count < 100 else 26)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(QRect(0, 0, size, size), int(Qt.AlignmentFlag.AlignCenter),
                         str(count) if count < 1000 else "999+")
    painter.end()
    return QIcon(pixmap)


class Attention(QObject):
    raised = Signal(int, str)  # conversation id, "message" | "overdue" (an alert was given)
    counts_changed = Signal(int, int)  # unread, overdue

    def __init__(self, window: QWidget, settings, queue, *, alert: Callable[[QWidget], None] | None = None,
                 beep: Callable[[], None] | None = None, is_active: Callable[[], bool] | None = None,
                 tray: bool | None = None, parent: QObject | None = None) -> None:
        """`queue`: the QueuePane (its model's rows and overdue rule; its selection opens a
        conversation). `tray`: None = use one when the system has a tray."""
        super().__init__(parent or window)
        self._window = window
        self._settings = settings
        self._queue = queue
        self._alert = alert or (lambda w: QApplication.alert(w, 0))  # 0: until the window is activated
        self._beep = beep or QApplication.beep
        self._is_active = is_active or (lambda: _app_window_active(window))
        self._tray_possible = tray_available() if tray is None else tray
        self.tray: QSystemTrayIcon | None = None
        self._known: dict[int, int] = {}  # conversation -> newest message id seen
        self._baseline = True  # the next rows are the queue as it is: nothing is "new" in them
        self._overdue: set[int] = set()
        self._overdue_shown: set[int] = set()
        self._pending: dict[int, int] = {}  # conversation -> ticks since its last alert
        self._unread = 0
        self._opened: int | None = None
        self._agent_no = ""
        self.alerts_given = 0
        self._tray_shown: tuple | None = None  # what the tray shows now (redrawn only on a change)

        queue.rows_shown.connect(lambda _n: self.check())
        queue.model.modelReset.connect(self._rebase)
        queue.conversation_selected.connect(self.opened)
        window.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.apply_settings()

    # ---- settings ------------------------------------------------------------------------

    def install_menu(self, menu: QMenu, before: QAction | None = None) -> None:
        """The three settings as ticks in the agent menu."""
        self.tray_action = self._toggle(menu, before, self.tr("Tray icon with waiting buyers"), "attention_tray")
        self.flash_action = self._toggle(menu, before, self.tr("Flash the taskbar for new and overdue buyers"),
                                         "attention_flash")
        self.sound_action = self._toggle(menu, before, self.tr("Sound for new and overdue buyers"),
                                         "attention_sound")
        self.tray_action.setEnabled(self._tray_possible)
        if not self._tray_possible:
            self.tray_action.setToolTip(self.tr("This desktop has no system tray"))
        menu.insertSeparator(before)

    def _toggle(self, menu: QMenu, before: QAction | None, text: str, name: str) -> QAction:
        action = QAction(text, menu)
        action.setCheckable(True)
        action.setChecked(bool(getattr(self._settings, name)))

        def chosen(checked: bool) -> None:
            setattr(self._settings, name, bool(checked))
            self._settings.sync()
            self.apply_settings()
        action.toggled.connect(chosen)
        menu.insertAction(before, action)
        return action

    def apply_settings(self) -> None:
        want_tray = self._tray_possible and bool(self._settings.attention_tray)
        if want_tray and self.tray is None:
            self.tray = QSystemTrayIcon(self)
            self.tray.activated.connect(self._tray_activated)
            self.tray.setIcon(badge_icon(0, urgent=False))
            self._tray_shown = None
            self._update_tray()
            self.tray.show()
        elif not want_tray and self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None

    # ---- state ---------------------------------------------------------------------------

    def pending(self) -> set[int]:
        """Conversations whose alert stays (raised, not opened yet)."""
        return set(self._pending)

    def counts(self) -> tuple[int, int]:
        """(unread buyer messages, overdue buyers) in the queue."""
        return self._unread, len(self._overdue)

    def tooltip(self) -> str:
        unread, overdue = self.counts()
        text = self.tr("Workstation: %1 unread · %2 overdue").replace("%1", str(unread)).replace("%2", str(overdue))
        if self._pending:
            text += "\n" + self.tr("%1 buyers need you").replace("%1", str(len(self._pending)))
        return text

    def set_agent(self, agent_no: str | None) -> None:
        """Whose attention: a buyer assigned to a colleague is the colleague's to answer, so
        only the agent's own and unassigned buyers raise it (counts cover the whole queue)."""
        self._agent_no = agent_no or ""

    def concerns_me(self, row) -> bool:
        owner = row.assigned_agent_no or ""
        return not owner or not self._agent_no or owner == self._agent_no

    def opened(self, conversation_id: int) -> None:
        """The agent opened this conversation: its alert is over."""
        self._opened = conversation_id
        if self._pending.pop(conversation_id, None) is not None:
            self._update_tray()

    def shutdown(self) -> None:
        self.timer.stop()
        if self.tray is not None:
            self.tray.hide()

    # ---- the checks ------------------------------------------------------------------------

    def _rebase(self) -> None:
        """Another cache, agent or queue filter: the rows that come are not news."""
        self._baseline = True

    def check(self) -> None:
        """The queue's rows changed (a read reached the list): new buyer messages, counts."""
        rows = self._queue.model.rows()
        baseline, self._baseline = self._baseline, False
        for row in rows:
            cid, last = row.conversation_id, row.last_message_id or 0
            before = self._known.get(cid)
            self._known[cid] = max(last, before or 0)
            new = (before is None or last > before) if not baseline else False
            if new and row.last_message_sender == "buyer" and row.waiting_since is not None and self.concerns_me(row):
                self._raise(cid, "message")
        ids = {r.conversation_id for r in rows}
        for cid in [c for c in self._known if c not in ids]:
            del self._known[cid]
        self._evaluate(rows)

    def tick(self) -> None:
        for cid in self._pending:
            self._pending[cid] += 1
        self._evaluate(self._queue.model.rows())

    def _evaluate(self, rows) -> None:
        model = self._queue.model
        overdue = {r.conversation_id for r in rows if model.is_overdue(r)}
        waiting = {r.conversation_id for r in rows if r.waiting_since is not None and self.concerns_me(r)}
        for cid in [c for c in self._pending if c not in waiting]:
            del self._pending[cid]  # answered (from elsewhere), taken by a colleague, or gone
        for cid in sorted((overdue & waiting) - self._overdue):
            self._raise(cid, "overdue")
        for cid in sorted(overdue & set(self._pending)):
            if self._pending[cid] * TICK_MS >= REALERT_S * 1000:
                self._raise(cid, "overdue")
        self._overdue = overdue
        unread = sum(r.unread for r in rows)
        if unread != self._unread or overdue != self._overdue_shown:
            self._unread = unread
            self._overdue_shown = set(overdue)
            self.counts_changed.emit(unread, len(overdue))
        self._update_tray()

    def _raise(self, conversation_id: int, why: str) -> None:
        if self._window_active():
            return
        self._pending[conversation_id] = 0
        self.alerts_given += 1
        if self._settings.attention_flash:
            self._alert(self._window)
        if self._settings.attention_sound:
            self._beep()
        self.raised.emit(conversation_id, why)

    def _window_active(self) -> bool:
        return bool(self._is_active()) and not self._window.isMinimized()

    # ---- the tray ------------------------------------------------------------------------

    def _update_tray(self) -> None:
        if self.tray is None:
            return
        unread, overdue = self.counts()
        shown = (unread, bool(overdue), self.tooltip())
        if shown == self._tray_shown:
            return
        self._tray_shown = shown
        self.tray.setToolTip(shown[2])
        self.tray.setIcon(badge_icon(unread, urgent=bool(overdue)))

    def _tray_activated(self, reason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_waiting()

    def show_waiting(self) -> int | None:
        """The tray was clicked: the window to the front, with the buyer that raised the alert
        and waits longest opened (the queue's order). Returns that conversation, if any."""
        from workstation.ui.single_instance import bring_to_front  # noqa: PLC0415

        bring_to_front(self._window)
        first = next((r.conversation_id for r in self._queue.model.rows() if r.conversation_id in self._pending),
                     None)
        if first is not None:
            self._queue.select_conversation(first)  # opens it: its alert is over
        return first

    # ---- Qt -------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.WindowActivate:
            # Back at the window: the conversation already open is in front of the agent.
            if self._opened is not None and self._opened in self._pending:
                self.opened(self._opened)
        return False
