"""The quick-phrase picker (快捷短语): opened from the reply box by `/` (at the start of the
box or after a space or a new line) or Ctrl+K; a popup with a search line, the matches and
the preview of the phrase filled with this buyer's values (`models.phrases`).

Keyboard only: type to search (Chinese, the shortcut or pinyin initials such as `kd`),
Up/Down to choose, Enter to take the phrase, Esc to close (the focus goes back to the reply
box). A phrase with a value the cache does not know asks for it here, one field per value
with its Chinese label (e.g. 快递单号); with several open orders of the buyer a pick list
chooses the order. Nothing with `{tracking_no}` or an empty gap is ever inserted. Enter
inserts into the reply box; the agent still sends with Enter there.

Searching and filling run off the GUI thread (latest request only); the phrase library
lives in a `PhraseIndex` re-read only when the cache says phrases, their use or the outbox
changed.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QFrame, QLabel, QLineEdit, QListView,
                               QVBoxLayout, QWidget)

from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

PREVIEW_CHARS = 60
WARM_UP_AFTER_MS = 3000  # build the library's pinyin (~0.7 s for 2,000 phrases) before the first `/`


def _phrases():
    from workstation.models import phrases  # noqa: PLC0415 (lazy: SQLAlchemy, pypinyin)

    return phrases


def _fill():
    from workstation.models import phrase_fill  # noqa: PLC0415 (lazy: SQLAlchemy)

    return phrase_fill


class PhraseListModel(QAbstractListModel):
    """The matches: one row per phrase ("title  /shortcut · category" and the text's start)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list = []

    def set_matches(self, matches) -> None:
        self.beginResetModel()
        self._rows = [m.phrase for m in matches]
        self.endResetModel()

    def phrase_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        p = self.phrase_at(index.row())
        if p is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            head = p.title + (f"  /{p.shortcut}" if p.shortcut else "") + f" · {p.category_label}"
            if not p.team:
                head += " · " + self.tr("mine")
            text = _labelled(p.text).replace("\n", " ")
            return f"{head}\n{text[:PREVIEW_CHARS]}{'…' if len(text) > PREVIEW_CHARS else ''}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return p.text
        return None


class PhrasePicker(QFrame):
    """The popup. `open_for(ctx)` shows it with the buyer's context (`FillContext`);
    `inserted(phrase_id, text)` gives the final text, `closed` when it goes."""

    inserted = Signal(object, str)  # phrase id (None: not yet on the server), final text
    closed = Signal()
    results_shown = Signal(str, int)  # query, number of matches
    preview_shown = Signal(str)  # the filled text (missing values marked)

    def __init__(self, parent: QWidget | None = None, *, record_use: Callable[[object], None] | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("phrasePicker")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._engine = None
        self._agent_no: str | None = None
        self._agent = None
        self._index = None
        self._dirty = True
        self._ctx = None
        self._filled = None           # the Filled of the current phrase (None: not known yet)
        self._filled_for = None       # (phrase key, order id) it was made for
        self._enter_waiting = False   # Enter came before the fill: take it when it arrives
        self._prompting = False
        self._record_use = record_use
        self._searcher = LatestOnly(self, name="phrase-search")
        self._searcher.finished.connect(self._on_results)
        self._searcher.failed.connect(self._on_failed)
        self._filler = LatestOnly(self, name="phrase-fill")
        self._filler.finished.connect(self._on_filled)
        self._filler.failed.connect(self._on_failed)
        self._answers: dict[str, QLineEdit] = {}
        # The pick lists of the current phrase's first fill: they stay while the agent picks
        # (a fill for a chosen order no longer offers the others).
        self._choices: dict[str, list] = {}
        self.shown_query: str | None = None  # the query whose matches are on screen
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(WARM_UP_AFTER_MS)
        self._warm_timer.timeout.connect(self._warm_up)
        self._build()

    # ---- inputs -------------------------------------------------------------------------

    def set_engine(self, engine) -> None:
        self._searcher.cancel()
        self._filler.cancel()
        self._engine = engine
        self._index = None
        self._dirty = True
        if engine is None:
            self._warm_timer.stop()
            if self.isVisible():
                self.close()
        else:
            self._warm_timer.start()

    def _warm_up(self) -> None:
        """Read the library once in the background, so the first `/` answers at once."""
        if self._engine is None or self.isVisible() or not self._dirty:
            return
        index = self._ensure_index()
        self._dirty = False
        self._searcher.submit(None, index.refresh)

    def set_agent(self, identity) -> None:
        """An `AgentIdentity` (display name, shop name, agent no.) or None."""
        self._agent = identity
        agent_no = getattr(identity, "agent_no", None) or None
        if agent_no != self._agent_no:
            self._agent_no = agent_no
            self._index = None
            self._dirty = True
            if self._engine is not None:
                self._warm_timer.start()

    def set_record_use(self, record_use: Callable[[object], None] | None) -> None:
        self._record_use = record_use

    def mark_stale(self) -> None:
        """The library may have moved (phrases, their use or the outbox changed)."""
        self._dirty = True
        if self.isVisible() and not self._prompting:
            self._search()

    # the CacheEvents handlers (the conversation pane forwards them)
    def on_phrases_changed(self, _change) -> None:
        self.mark_stale()

    def on_phrase_use_changed(self, _change) -> None:
        self.mark_stale()

    def on_outbox_changed(self, _ids) -> None:
        self._dirty = True

    def shutdown(self) -> None:
        self._searcher.shutdown()
        self._filler.shutdown()

    # ---- showing --------------------------------------------------------------------------

    def open_for(self, ctx, at: QPoint | None = None, *, above: QPoint | None = None) -> bool:
        """Show the picker for this context (a `models.phrase_fill.FillContext`) at `at` (under
        the text cursor), or ending at `above` when the screen has no room below (the reply
        box sits at the bottom of the window); False without a cache."""
        if self._engine is None:
            return False
        self._ctx = ctx
        self._forget()
        self._show_list()
        self.search.clear()
        if at is not None:
            self.move(self._placed(at, above))
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)
        self._search()
        return True

    def _placed(self, at: QPoint, above: QPoint | None) -> QPoint:
        screen = QGuiApplication.screenAt(at) or self.screen()
        if screen is None:
            return at
        room = screen.availableGeometry()
        size = self.sizeHint().expandedTo(self.minimumSizeHint())
        x = max(room.left(), min(at.x(), room.right() - size.width()))
        y = at.y()
        if y + size.height() > room.bottom() and above is not None:
            y = max(room.top(), above.y() - size.height())
        return QPoint(x, y)

    def _forget(self) -> None:
        """Nothing of an earlier opening may be taken: its matches and its fill were for
        another query, and maybe another buyer (their order number, their tracking number)."""
        self.model.set_matches([])
        self._set_filled(None, None)
        self._choices = {}
        self.shown_query = None
        self._enter_waiting = False

    def _fill_is_current(self, phrase) -> bool:
        """The fill shown is of this phrase, for this conversation and buyer."""
        if self._filled is None or self._filled_for is None or phrase is None:
            return False
        key, ctx = self._filled_for
        mine = self._ctx
        return key == _key(phrase) and (
            mine is None or (ctx.conversation_id, ctx.buyer_id) == (mine.conversation_id, mine.buyer_id))

    @property
    def prompting(self) -> bool:
        return self._prompting

    @property
    def filled(self):
        return self._filled

    def current_phrase(self):
        return self.model.phrase_at(self.list.currentIndex().row())

    def answer_field(self, name: str) -> QLineEdit | None:
        return self._answers.get(name)

    # ---- searching ------------------------------------------------------------------------

    def _ensure_index(self):
        if self._index is None:
            self._index = _phrases().PhraseIndex(self._engine, self._agent_no)
            self._dirty = True
        return self._index

    def _search(self) -> None:
        if self._engine is None:
            return
        index, query = self._ensure_index(), self.search.text()
        refresh, self._dirty = self._dirty, False

        def job():
            if refresh:
                index.refresh()
            return index.search(query, limit=20)

        self._searcher.submit((index, query), job)

    def _on_results(self, request, matches) -> None:
        if request is None:
            return  # the warm-up
        index, query = request
        if index is not self._index or query != self.search.text():
            return
        if not matches:
            self._enter_waiting = False  # nothing to take
        keep = self.current_phrase()
        self.shown_query = query
        self.model.set_matches(matches)
        row = 0
        if keep is not None:
            row = next((i for i, p in enumerate(self.model.rows()) if _key(p) == _key(keep)), 0)
        self.empty.setVisible(not matches)
        self.empty.setText(self.tr("No phrase matches “%1”").replace("%1", query) if query.strip()
                           else self.tr("No quick phrases yet (the agent menu's phrase library adds them)"))
        if matches:
            self.list.setCurrentIndex(self.model.index(row))
        else:
            self._set_filled(None, None)
            self.preview.setText("")
        self.results_shown.emit(query, len(matches))

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        phrase = self.model.phrase_at(current.row())
        if phrase is not None and not self._prompting:
            self._choices = {}
            self._fill(phrase)

    # ---- filling ----------------------------------------------------------------------------

    def _fill(self, phrase, order_id: int | None = None, sku_id: int | None = None) -> None:
        from dataclasses import replace  # noqa: PLC0415

        ctx = self._ctx or _fill().FillContext()
        ctx = replace(ctx, agent=self._agent)
        if order_id is not None:
            ctx = replace(ctx, order_id=order_id)
        if sku_id is not None:
            ctx = replace(ctx, sku_id=sku_id)
        engine, text = self._engine, phrase.text
        self._set_filled(None, None)
        self._filler.submit((_key(phrase), ctx), lambda: _fill().fill(engine, text, ctx))

    def _set_filled(self, filled, key) -> None:
        self._filled, self._filled_for = filled, key

    def _on_filled(self, request, filled) -> None:
        key, ctx = request
        phrase = self.current_phrase()
        if phrase is None or _key(phrase) != key:
            return
        mine = self._ctx
        if mine is not None and (ctx.conversation_id, ctx.buyer_id) != (mine.conversation_id, mine.buyer_id):
            return  # filled for the picker's previous conversation
        self._set_filled(filled, request)
        if "order" in filled.choices:
            self._choices.setdefault("order", filled.choices["order"])  # stays while the agent picks
        if "sku" in filled.choices:
            self._choices["sku"] = filled.choices["sku"]  # the items of the order now chosen
        else:
            self._choices.pop("sku", None)
        if "sku" in self._choices and filled.sku_id is None and "sku_stock" in filled.missing:
            # several items in the order: the first until the agent picks another
            self._fill(phrase, order_id=filled.order_id, sku_id=self._choices["sku"][0].sku_id)
            return
        self.preview.setText(self._marked(filled))
        self.preview_shown.emit(self.preview.text())
        if self._prompting:
            self._build_prompt(filled)
        if self._enter_waiting:
            self._enter_waiting = False
            self._take()

    def _marked(self, filled) -> str:
        """The filled text with each missing value shown as ［label？］ (never sent like that)."""
        text = filled.text
        for name, label in filled.labels():
            text = text.replace("{" + name + "}", f"［{label}？］")
        return text

    def _on_failed(self, _request, exc: BaseException) -> None:
        from workstation.ui.errors import describe_error  # noqa: PLC0415

        log.warning("quick phrases: %s", exc)
        self.message.setText(self.tr("Quick phrases could not be read: %1").replace("%1", describe_error(exc)))
        self.message.show()

    # ---- taking a phrase ---------------------------------------------------------------------

    def _take(self) -> None:
        """Enter: insert the phrase when every value is known; else ask for what is missing."""
        if self.shown_query != self.search.text():
            self._enter_waiting = True  # the matches of what was typed are on their way
            return
        phrase = self.current_phrase()
        if phrase is None:
            return
        if not self._fill_is_current(phrase):
            self._enter_waiting = True  # the fill is on its way (a few ms)
            return
        filled = self._filled
        if not self._prompting and (filled.missing or self._choices):
            self._prompting = True
            self._build_prompt(filled)
            return
        if self._prompting:
            answers = {name: field.text() for name, field in self._answers.items()}
            empty = [name for name in filled.missing if not answers.get(name, "").strip()]
            if any(name not in self._answers for name in empty):
                self._enter_waiting = True  # a fill for the item picked is on its way
                return
            if empty:
                self.message.setText(self.tr("Please fill in: %1").replace(
                    "%1", "、".join(_phrases().VARIABLES[n] for n in empty)))
                self.message.show()
                self._answers[empty[0]].setFocus()
                return
            text = _fill().apply_answers(filled, answers)
        else:
            text = filled.text
        self._insert(phrase, text)

    def _insert(self, phrase, text: str) -> None:
        # `text` is complete here: `fill` left no value unlisted, and every listed one was
        # answered (`apply_answers` refuses a blank one).
        self.inserted.emit(phrase.id, text)
        if self._record_use is not None and phrase.id is not None:
            self._record_use(phrase.id)
        self.close()

    def _build_prompt(self, filled) -> None:
        """One field per missing value (Chinese label), a pick list for the order / SKU."""
        typed = {name: field.text() for name, field in self._answers.items()}
        while self.form.rowCount():
            self.form.removeRow(0)
        self._answers.clear()
        self.order_choice = None
        self.sku_choice = None
        choices = self._choices
        if "order" in choices:
            self.order_choice = self._choice_box(choices["order"], filled.order_id, "order_id")
            self.order_choice.setObjectName("phraseOrderChoice")
            self.form.addRow(self.tr("Order"), self.order_choice)
        if "sku" in choices:
            self.sku_choice = self._choice_box(choices["sku"], filled.sku_id, "sku_id")
            self.sku_choice.setObjectName("phraseSkuChoice")
            self.form.addRow(self.tr("Item"), self.sku_choice)
        first = None
        for name, label in filled.labels():
            if name == "sku_stock" and "sku" in choices and filled.sku_id is None:
                continue  # the stock comes from the item picked above
            field = QLineEdit(self.prompt)
            field.setObjectName(f"phraseAnswer_{name}")
            field.setPlaceholderText(label)
            field.setText(typed.get(name, ""))
            field.installEventFilter(self)
            self.form.addRow(label, field)
            self._answers[name] = field
            first = first or field
        self.prompt_title.setText(self.tr("Fill in what the cache does not know, then Enter inserts:")
                                  if self._answers else self.tr("Check the order, then Enter inserts:"))
        self.list.hide()
        self.prompt.show()
        self.message.hide()
        target = first or self.order_choice or self.sku_choice
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _choice_box(self, choices, current_id, attr: str) -> QComboBox:
        box = QComboBox(self.prompt)
        for c in choices:
            box.addItem(c.label, getattr(c, attr))
        at = box.findData(current_id)
        box.setCurrentIndex(at if at >= 0 else 0)
        box.installEventFilter(self)
        box.currentIndexChanged.connect(lambda _i, b=box, a=attr: self._choice_changed(b, a))
        return box

    def _choice_changed(self, box: QComboBox, attr: str) -> None:
        phrase = self.current_phrase()
        if phrase is None:
            return
        chosen = box.currentData()
        filled = self._filled
        order_id = chosen if attr == "order_id" else (filled.order_id if filled else None)
        sku_id = chosen if attr == "sku_id" else None
        self._fill(phrase, order_id=order_id, sku_id=sku_id)

    def _show_list(self) -> None:
        self._prompting = False
        self._enter_waiting = False
        self._answers.clear()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.prompt.hide()
        self.list.show()
        self.message.hide()

    # ---- keys ---------------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._take()
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
            if obj is self.search and key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
                                              Qt.Key.Key_PageDown):
                self._move(key)
                return True
        return super().eventFilter(obj, event)

    def _move(self, key) -> None:
        n = self.model.rowCount()
        if not n:
            return
        row = self.list.currentIndex().row()
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -5, Qt.Key.Key_PageDown: 5}[key]
        self.list.setCurrentIndex(self.model.index(max(0, min(n - 1, row + step))))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        self._filler.cancel()
        self._searcher.cancel()
        self._forget()
        self._show_list()
        super().closeEvent(event)
        self.closed.emit()

    def _on_search_edited(self, text: str) -> None:
        if text == "/":  # "//": the agent wanted the character itself
            self.inserted.emit(None, "/")
            self.close()
            return
        self._search()

    # ---- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.search = QLineEdit(self)
        self.search.setObjectName("phraseSearch")
        self.search.setPlaceholderText(self.tr("Quick phrase: shortcut, title, text or pinyin initials (kd = 快递)"))
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.search.textChanged.connect(self._on_search_edited)
        layout.addWidget(self.search)
        self.model = PhraseListModel(self)
        self.list = QListView(self)
        self.list.setObjectName("phraseList")
        self.list.setModel(self.model)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay in the search line
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        self.list.setMinimumHeight(200)
        self.list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.list.doubleClicked.connect(lambda _i: self._take())
        layout.addWidget(self.list, 1)
        self.empty = QLabel(self)
        self.empty.setObjectName("phraseEmpty")
        self.empty.hide()
        layout.addWidget(self.empty)
        self.prompt = QWidget(self)
        self.prompt.setObjectName("phrasePrompt")
        prompt_layout = QVBoxLayout(self.prompt)
        prompt_layout.setContentsMargins(0, 0, 0, 0)
        self.prompt_title = QLabel(self.prompt)
        prompt_layout.addWidget(self.prompt_title)
        self.form = QFormLayout()
        prompt_layout.addLayout(self.form)
        self.order_choice: QComboBox | None = None
        self.sku_choice: QComboBox | None = None
        self.prompt.hide()
        layout.addWidget(self.prompt)
        self.preview = QLabel(self)
        self.preview.setObjectName("phrasePreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setStyleSheet("padding: 4px; border-top: 1px solid palette(mid);")
        layout.addWidget(self.preview)
        self.message = QLabel(self)
        self.message.setObjectName("phraseMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        self.message.hide()
        layout.addWidget(self.message)
        hint = QLabel(self.tr("↑↓ choose · Enter insert · Esc close"), self)
        hint.setStyleSheet("color: palette(mid);")
        layout.addWidget(hint)


def _labelled(text: str) -> str:
    """`{tracking_no}` shown as ［快递单号］ in the list (the agent reads Chinese, not names)."""
    variables = _phrases().VARIABLES
    return re.sub(r"\{(\w+)\}", lambda m: f"［{variables[m.group(1)]}］" if m.group(1) in variables
                  else m.group(0), text)


def _key(phrase) -> tuple:
    return (phrase.id, phrase.mutation_id, phrase.version)
