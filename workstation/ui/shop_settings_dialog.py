"""The shop's settings (店铺设置), for the store manager, from the agent menu: the auto-reply
on a buyer's first message of the day (on/off and its text) and the daily cut-off time.

- The auto-reply's editor REFUSES a fifth line (the rule agents apply themselves and the
  server enforces): Enter on the fourth line adds nothing, a paste keeps only the lines
  that fit; either way the editor says why ("An auto-reply has at most 4 lines"). A live
  counter says "2/4 lines · 35/300 characters"; `{shop_name}` and `{buyer_nick}` can be
  inserted, and the preview shows the text with the shop's name filled.
- Saving is a writer job through the outbox (`models.phrases.save_settings`, kind
  `shop.settings`, based on the cached version). A colleague who saved first makes the
  server refuse it (`conflict`): the dialog shows the colleague's version and "Load their
  version" (the refused write is dropped and the form shows what the server has).
- Reads run off the GUI thread; a `shop_settings` change re-reads them (the form keeps
  what the manager is typing).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QMenu, QPlainTextEdit, QPushButton, QTimeEdit, QToolButton, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt
from workstation.ui.errors import describe_error
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

MAX_LINES = 4      # models.phrases.AUTO_REPLY_MAX_LINES (SQLAlchemy stays off start-up)
MAX_CHARS = 300    # models.phrases.AUTO_REPLY_MAX_CHARS
VARIABLES = ("shop_name", "buyer_nick")
WARN_COLOUR = "#c62828"
WAITING_COLOUR = "#b35c00"


def _phrases():
    from workstation.models import phrases  # noqa: PLC0415 (lazy: SQLAlchemy)

    return phrases


def count_lines(text: str) -> int:
    """Lines as the buyer sees them (as `models.phrases.auto_reply_lines`)."""
    return len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")) if text else 0


def _fit(base_lines: int, inserted: str) -> str:
    """`inserted` cut so that a text of `base_lines` lines with it added has at most 4."""
    inserted = inserted.replace("\r\n", "\n").replace("\r", "\n")
    room = MAX_LINES - max(base_lines, 1)  # new line breaks still allowed
    parts = inserted.split("\n")
    return "\n".join(parts[:max(room, 0) + 1])


class AutoReplyEdit(QPlainTextEdit):
    """A plain-text editor that never holds more than 4 lines: Enter on the fourth line and
    the lines of a paste (or an input method's commit) beyond the fourth are refused."""

    refused = Signal()  # something was not added (a fifth line)

    def _base_lines(self) -> int:
        cursor = self.textCursor()
        text = self.toPlainText()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        return count_lines(text[:start] + text[end:]) or 1

    def _insert_fitting(self, text: str) -> bool:
        """Insert what fits; True when everything did."""
        fitting = _fit(self._base_lines(), text)
        if fitting:
            self.insertPlainText(fitting)
        if fitting != text.replace("\r\n", "\n").replace("\r", "\n"):
            self.refused.emit()
            return False
        return True

    def keyPressEvent(self, event) -> None:
        from PySide6.QtCore import Qt  # noqa: PLC0415

        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._base_lines() >= MAX_LINES:
            self.refused.emit()
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source) -> None:
        if source.hasText():
            self._insert_fitting(source.text())

    def inputMethodEvent(self, event) -> None:
        commit = event.commitString()
        if "\n" in commit or "\r" in commit:
            self._insert_fitting(commit)
            event.setCommitString("")
        super().inputMethodEvent(event)


class ShopSettingsDialog(QDialog):
    settings_shown = Signal()  # the settings were read (tests wait on it)
    saved = Signal(str)  # the mutation id of the manager's save

    def __init__(self, parent=None, *, engine=None, identity=None, submit_write: Callable | None = None,
                 events=None) -> None:
        super().__init__(parent)
        self.setObjectName("shopSettings")
        self.setWindowTitle(self.tr("Shop settings"))
        self._engine, self._identity, self._submit_write, self._events = engine, identity, submit_write, events
        self.settings = None
        self.conflict = None  # the refused write (outbox entry) while a colleague's version is shown
        self._dirty = False
        self._loading = False
        self._reader = LatestOnly(self, name="shop-settings")
        self._reader.finished.connect(self._on_settings)
        self._reader.failed.connect(self._on_failed)
        self._build()
        if events is not None:
            events.subscribe(self)
        self._update()
        self.refresh()

    @property
    def is_manager(self) -> bool:
        return getattr(self._identity, "role", "agent") == "manager"

    # ---- the form ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.enabled = QCheckBox(self.tr("Send an auto-reply on a buyer's first message of the day"), self)
        self.enabled.setObjectName("autoReplyEnabled")
        layout.addWidget(self.enabled)
        self.text = AutoReplyEdit(self)
        self.text.setObjectName("autoReplyText")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(self.tr("e.g. 亲，欢迎光临{shop_name}！客服马上为您服务"))
        self.text.setFixedHeight(self.fontMetrics().lineSpacing() * (MAX_LINES + 1) + 12)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        self.variable_button = QToolButton(self)
        self.variable_button.setObjectName("autoReplyVariable")
        self.variable_button.setText(self.tr("Insert variable"))
        self.variable_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.variable_button)
        labels = {"shop_name": "店铺名称", "buyer_nick": "买家昵称"}  # models.phrases.VARIABLES
        self.variable_actions = {}
        for name in VARIABLES:
            action = menu.addAction(f"{labels[name]}  {{{name}}}")
            action.triggered.connect(lambda _c=False, n=name: self.insert_variable(n))
            self.variable_actions[name] = action
        self.variable_button.setMenu(menu)
        row.addWidget(self.variable_button)
        row.addStretch(1)
        self.counter = QLabel(self)
        self.counter.setObjectName("autoReplyCounter")
        row.addWidget(self.counter)
        layout.addLayout(row)
        self.limit_label = QLabel(self)
        self.limit_label.setObjectName("autoReplyLimit")
        self.limit_label.setStyleSheet(f"color: {WARN_COLOUR};")
        self.limit_label.setWordWrap(True)
        layout.addWidget(self.limit_label)
        layout.addWidget(QLabel(self.tr("Preview (what a buyer receives):"), self))
        self.preview = QLabel(self)
        self.preview.setObjectName("autoReplyPreview")
        self.preview.setWordWrap(True)
        self.preview.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview.setMargin(6)
        layout.addWidget(self.preview)
        form = QFormLayout()
        self.cutoff = QTimeEdit(self)
        self.cutoff.setObjectName("cutoffTime")
        self.cutoff.setDisplayFormat("HH:mm")
        self.cutoff.setToolTip(self.tr("Orders paid before this time (China time) ship the same day; "
                                       "the phrases' {cutoff_time}"))
        form.addRow(self.tr("Daily cut-off time"), self.cutoff)
        layout.addLayout(form)
        self.conflict_box = QWidget(self)
        conflict = QVBoxLayout(self.conflict_box)
        conflict.setContentsMargins(0, 0, 0, 0)
        self.conflict_label = QLabel(self.conflict_box)
        self.conflict_label.setObjectName("settingsConflict")
        self.conflict_label.setWordWrap(True)
        self.conflict_label.setStyleSheet(f"color: {WARN_COLOUR};")
        conflict.addWidget(self.conflict_label)
        self.reload_button = QPushButton(self.tr("Load their version"), self.conflict_box)
        self.reload_button.setToolTip(self.tr("Drop your refused change and show the settings as the server has them"))
        self.reload_button.clicked.connect(self.load_theirs)
        conflict.addWidget(self.reload_button)
        self.conflict_box.hide()
        layout.addWidget(self.conflict_box)
        self.status = QLabel(self)
        self.status.setObjectName("settingsStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close,
                                        self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.text.refused.connect(self._refused)
        self.text.textChanged.connect(self._edited)
        self.enabled.toggled.connect(self._edited)
        self.cutoff.timeChanged.connect(self._edited)
        self.resize(520, 480)

    def insert_variable(self, name: str) -> None:
        self.text.insertPlainText("{" + name + "}")
        self.text.setFocus()

    def counter_text(self) -> str:
        text = self.text.toPlainText()
        return self.tr("%1/%2 lines · %3/%4 characters").replace("%1", str(count_lines(text))) \
            .replace("%2", str(MAX_LINES)).replace("%3", str(len(text))).replace("%4", str(MAX_CHARS))

    def problem(self) -> str:
        """What the server would refuse ("" when the settings can be saved)."""
        text, on = self.text.toPlainText(), self.enabled.isChecked()
        if on and not text.strip():
            return self.tr("The auto-reply is on: write its text, or turn it off")
        if len(text) > MAX_CHARS:
            return self.tr("The auto-reply has %1 characters; at most %2").replace("%1", str(len(text))) \
                .replace("%2", str(MAX_CHARS))
        try:
            _phrases().check_auto_reply(text, enabled=on)
        except Exception:  # noqa: BLE001 - an unknown {variable} (the only rule left)
            return self.tr("Only {shop_name} and {buyer_nick} can be used in the auto-reply")
        return ""

    def values(self) -> dict:
        return {"auto_reply_enabled": self.enabled.isChecked(), "auto_reply_text": self.text.toPlainText(),
                "cutoff_time": self.cutoff.time().toString("HH:mm")}

    def _refused(self) -> None:
        self.limit_label.setText(self.tr("An auto-reply has at most 4 lines"))

    def _edited(self, *_args) -> None:
        if not self._loading:
            self._dirty = True
        if count_lines(self.text.toPlainText()) < MAX_LINES:
            self.limit_label.setText("")
        self._update()

    def _update(self) -> None:
        text = self.text.toPlainText()
        over = len(text) > MAX_CHARS
        self.counter.setText(self.counter_text())
        self.counter.setStyleSheet(f"color: {WARN_COLOUR}; font-weight: bold;" if over else "color: palette(mid);")
        shop = self.settings.shop_name if self.settings is not None else getattr(self._identity, "shop_name", "")
        self.preview.setText(text.replace("{shop_name}", shop or "").replace("{buyer_nick}", "［买家昵称］")
                             if text.strip() else self.tr("(empty)"))
        problem = self.problem()
        allowed = self.is_manager and self._submit_write is not None and self.settings is not None
        for w in (self.enabled, self.text, self.cutoff, self.variable_button):
            w.setEnabled(allowed)
        self.save_button.setEnabled(allowed and not problem)
        self.save_button.setToolTip(problem or ("" if self.is_manager else
                                                self.tr("Only the store manager can change the shop settings")))
        if problem:
            self.status.setText(problem)
            self.status.setStyleSheet(f"color: {WARN_COLOUR};")
        else:
            self._show_status()

    def _show_status(self) -> None:
        s = self.settings
        if s is None:
            self.status.setText(self.tr("The shop settings arrive with the first sync"))
            self.status.setStyleSheet("")
            return
        if s.status == "saved":
            self.status.setText(self.tr("● Saved on this PC — sent when online"))
            self.status.setStyleSheet(f"color: {WAITING_COLOUR};")
        elif s.status == "rejected" and self.conflict is None:
            self.status.setText(self.tr("✗ Not accepted by the server: %1").replace("%1", s.error or ""))
            self.status.setStyleSheet(f"color: {WARN_COLOUR};")
        else:
            by = self.tr(" by agent %1").replace("%1", s.updated_by) if s.updated_by else ""
            self.status.setText(self.tr("Last changed %1%2").replace("%1", fmt.freshness(s.updated_at))
                                .replace("%2", by) if s.updated_at else "")
            self.status.setStyleSheet("color: palette(mid);")

    # ---- reads ----------------------------------------------------------------------------

    def refresh(self) -> None:
        engine = self._engine
        if engine is not None:
            self._reader.submit(engine, lambda: _read_settings(engine))

    def _on_settings(self, engine, result) -> None:
        if engine is not self._engine:
            return
        self.settings, self.conflict = result
        if not self._dirty:
            # While a colleague's save beat this one, the form keeps the manager's refused
            # values (to compare and save again); "Load their version" shows the server's.
            self._fill(self.conflict.payload if self.conflict is not None else self.settings)
        self._show_conflict()
        self._update()
        self.settings_shown.emit()

    def _on_failed(self, _engine, exc: BaseException) -> None:
        log.warning("the shop settings could not be read: %s", exc)
        self.status.setText(self.tr("The shop settings could not be read: %1").replace("%1", describe_error(exc)))

    def _fill(self, s) -> None:
        """From the settings, or from a write's payload (a dict of the same fields)."""
        if s is None:
            return
        get = s.get if isinstance(s, dict) else (lambda name: getattr(s, name))
        self._loading = True
        try:
            self.enabled.setChecked(bool(get("auto_reply_enabled")))
            self.text.setPlainText(str(get("auto_reply_text") or ""))
            self.cutoff.setTime(QTime.fromString(str(get("cutoff_time")), "HH:mm"))
        finally:
            self._loading = False
        self._dirty = False

    def _show_conflict(self) -> None:
        e = self.conflict
        self.conflict_box.setVisible(e is not None)
        if e is None:
            return
        theirs = ((e.result or {}).get("state") or {})
        on = self.tr("on") if theirs.get("auto_reply_enabled") else self.tr("off")
        self.conflict_label.setText(
            self.tr("A colleague (agent %1) changed the settings first; yours were not saved. Theirs: auto-reply %2, "
                    "cut-off %3, text:\n%4").replace("%1", str(theirs.get("updated_by") or "?")).replace("%2", on)
            .replace("%3", str(theirs.get("cutoff_time", ""))).replace("%4", str(theirs.get("auto_reply_text", ""))))

    def on_shop_settings_changed(self, change) -> None:
        if change:
            self.refresh()

    def on_outbox_changed(self, _ids) -> None:
        if self.settings is not None and (self.settings.status != "synced" or self.conflict is not None):
            self.refresh()
        else:
            self._reader.again_when_done()  # the read on its way may be older than this change

    # ---- writes -------------------------------------------------------------------------

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        ph, values = _phrases(), self.values()
        what = self.tr("The shop settings could not be saved")
        self.save_button.setEnabled(False)
        refused = self.conflict.mutation_id if self.conflict is not None else None

        def done(changes) -> None:
            self._dirty = False
            for mid in getattr(changes, "outbox", ()):
                if mid != refused:
                    self.saved.emit(mid)
            self.refresh()

        def failed(exc) -> None:
            self._update()
            self.status.setText(f"{what}: {describe_error(exc)}")
            self.status.setStyleSheet(f"color: {WARN_COLOUR};")


        def job(engine):
            changes = ph.ChangeSet()
            if refused is not None:
                # Saved again over the colleague's version: the refused write is settled first
                # (discarding it after would hand its old base version on to the new one).
                from workstation.models import outbox  # noqa: PLC0415

                changes = outbox.discard(engine, refused, initiator=self)
            return changes.merge(ph.save_settings(engine, initiator=self, **values))  # on the cached version

        self._submit_write(job, what=what, on_done=done, on_error=failed)

    def load_theirs(self) -> None:
        """Drop the refused write; the form shows the settings as the server has them."""
        e = self.conflict
        if e is None or self._submit_write is None:
            return
        from workstation.models import outbox  # noqa: PLC0415

        def done(_changes) -> None:
            self._dirty = False
            self.refresh()

        self._submit_write(lambda engine: outbox.discard(engine, e.mutation_id, initiator=self),
                           what=self.tr("The colleague's version could not be loaded"), on_done=done)

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

    def shutdown(self) -> None:
        if self._events is not None:
            self._events.unsubscribe(self)
        self._reader.shutdown()


def _read_settings(engine):
    """The settings and, when a colleague's save beat the manager's, the refused write."""
    from workstation.models import outbox  # noqa: PLC0415

    settings = _phrases().shop_settings(engine)
    conflict = None
    if settings is not None and settings.status == "rejected":
        refused = [e for e in outbox.entries(engine, statuses=("rejected",))
                   if e.kind == "shop.settings" and e.error_code == "conflict"]
        conflict = refused[-1] if refused else None
    return settings, conflict
