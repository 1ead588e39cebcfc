"""The context area's "Buyer" tab (买家): who the buyer of the open conversation is, what they
are looking at, their orders, and the notes colleagues keep about them.

- The profile: member level (VIP / member / regular), returning or first order, the number
  of orders and refunds, the first order's date (`models.buyers.profile`).
- The product the buyer is viewing (`Conversation.product_id`) with its REAL stock, what can
  ship per colour and size summed over the warehouses (`models.stock.style_stock`); "All
  warehouses…" opens the full grid in the stock tab (`StockPane.show_style`).
- The buyer's orders, newest first (`BuyerOrdersPane`, kept as it was): Enter or a click
  opens the order's detail with its remark editor.
- The notes (`models.buyers.notes`), newest first with author and time; the box below adds
  one through the outbox (Enter saves; shown at once as waiting to send).

Every read is an indexed query off the GUI thread (one `LatestOnly` per part, so a notes
refresh never cancels the orders' read); change sets refresh only the part they touch.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListView,
                               QSizePolicy, QTableView, QToolButton, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt
from workstation.ui.buyer_orders_pane import BuyerOrdersPane
from workstation.ui.errors import describe_error
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

MAX_NOTE_CHARS = 500  # models.buyers.MAX_NOTE_CHARS (not imported here: SQLAlchemy stays lazy)
LEVEL_COLOURS = {"vip": "#b8860b", "member": "#1565c0", "normal": "#6d6d6d"}
OUT_COLOUR = "#c62828"
WAITING_COLOUR = "#b35c00"
STOCK_ROWS = 5  # colours shown in the viewed product's grid before it scrolls
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _buyers():
    from workstation.models import buyers  # noqa: PLC0415 (lazy: SQLAlchemy)

    return buyers


def _read_buyer(engine, buyer_id: int):
    """The profile, the notes and the staff's names (for the notes' authors): one job."""
    from workstation.models import conversations  # noqa: PLC0415

    buyers = _buyers()
    names = {a.agent_no: a.display_name for a in conversations.agents(engine)}
    return buyers.profile(engine, buyer_id), buyers.notes(engine, buyer_id), names


def _read_style(engine, product_id: int):
    from workstation.models import stock  # noqa: PLC0415

    return stock.style_stock(engine, product_id)


# ---- the viewed product's stock: colours × sizes, what can ship --------------------------------

class ViewedStockModel(QAbstractTableModel):
    """One row per colour, one column per size: the units that can ship (available, summed
    over the warehouses that have some). Out of stock says so in words and colour."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._style = None

    @property
    def style(self):
        return self._style

    def set_style(self, style) -> None:
        same_shape = (style is not None and self._style is not None and style.colours == self._style.colours
                      and style.sizes == self._style.sizes)
        if same_shape:
            self._style = style
            if style.colours and style.sizes:
                self.dataChanged.emit(self.index(0, 0), self.index(len(style.colours) - 1, len(style.sizes) - 1))
            return
        self.beginResetModel()
        self._style = style
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._style is None else len(self._style.colours)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._style is None else len(self._style.sizes)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if self._style is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._style.sizes[section]
        return self._style.colours[section]

    def available(self, colour: str, size: str) -> int | None:
        sku = self._style.sku_at(colour, size) if self._style is not None else None
        return None if sku is None else self._style.total_available(sku.id)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._style is None:
            return None
        colour, size = self._style.colours[index.row()], self._style.sizes[index.column()]
        value = self.available(colour, size)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        if value is None:
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"✕ {value}" if value <= 0 else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and value <= 0:
            return QBrush(QColor(OUT_COLOUR))
        if role == Qt.ItemDataRole.ToolTipRole:
            sku = self._style.sku_at(colour, size)
            parts = [f"{w.name}: {self._style.cell(sku.id, w.id).available}" for w in self._style.warehouses]
            text = self.tr("%1 %2: %3 can ship (available per warehouse: %4)").replace("%1", colour) \
                .replace("%2", size).replace("%3", str(value)).replace("%4", ", ".join(parts))
            return text if value > 0 else text + " — " + self.tr("out of stock")
        return None


# ---- the notes ---------------------------------------------------------------------------------

NOTE_ROLE = Qt.ItemDataRole.UserRole + 1


class NotesModel(QAbstractListModel):
    """The buyer's notes, newest first: the text, then author, time and (when not on the
    server yet) its state. A status change is taken in place."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._notes: list = []
        self._names: dict[str, str] = {}

    def notes(self) -> list:
        return list(self._notes)

    def set_notes(self, notes, names: dict[str, str] | None = None) -> None:
        notes = list(notes)
        self._names = dict(names or {})
        if [_key(n) for n in notes] == [_key(n) for n in self._notes]:
            for row, (old, new) in enumerate(zip(self._notes, notes)):
                if old != new:
                    self._notes[row] = new
                    self.dataChanged.emit(self.index(row), self.index(row))
            return
        self.beginResetModel()
        self._notes = notes
        self.endResetModel()

    def author(self, agent_no: str) -> str:
        name = self._names.get(agent_no)
        return f"{name} ({agent_no})" if name else self.tr("agent %1").replace("%1", agent_no or "?")

    def status_text(self, note) -> str:
        return {"queued": self.tr("waiting to send"), "sending": self.tr("sending…"),
                "failed": self.tr("not saved on the server")}.get(note.status, "")

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._notes)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._notes):
            return None
        note = self._notes[index.row()]
        if role == NOTE_ROLE:
            return note
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            line = f"{self.author(note.agent_no)} · {fmt.freshness(note.at)}"
            state = self.status_text(note)
            if state:
                line += f" · {state}"
            return f"{note.text}\n— {line}"
        if role == Qt.ItemDataRole.ForegroundRole and note.status != "synced":
            return QBrush(QColor(OUT_COLOUR if note.status == "failed" else WAITING_COLOUR))
        if role == Qt.ItemDataRole.ToolTipRole:
            when = fmt.local_time(note.at, seconds=True)
            if note.status == "failed" and note.error:
                return self.tr("Refused by the server: %1").replace("%1", note.error)
            return self.tr("Written by %1 at %2").replace("%1", self.author(note.agent_no)).replace("%2", when)
        return None


def _key(note) -> tuple:
    return (note.note_id, note.mutation_id) if note.note_id is None else (note.note_id,)


# ---- the pane -------------------------------------------------------------------------------------

class BuyerPane(QWidget):
    order_requested = Signal(int)  # the agent opened this order
    orders_shown = Signal(object, int)  # buyer id, number of orders
    profile_shown = Signal(object)  # buyer id (the profile and notes are on screen)
    stock_shown = Signal(object)  # product id of the viewed product's stock (None: none)
    stock_requested = Signal(int)  # "All warehouses…": the product in the stock tab
    note_saved = Signal(str)  # mutation id of the agent's new note

    def __init__(self, parent: QWidget | None = None, *, submit_write: Callable | None = None,
                 orders_fn: Callable | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("buyerPane")
        self._engine = None
        self._buyer_id: int | None = None
        self._product_id: int | None = None
        self._agent_no = ""
        self._submit_write = submit_write
        self._profile = None
        self._error = ""
        self._reader = LatestOnly(self, name="buyer")
        self._reader.finished.connect(self._on_buyer)
        self._reader.failed.connect(self._on_buyer_failed)
        self._stock_reader = LatestOnly(self, name="buyer-stock")
        self._stock_reader.finished.connect(self._on_style)
        self._stock_reader.failed.connect(self._on_style_failed)
        self.orders = BuyerOrdersPane(self, orders_fn=orders_fn)
        self.orders.order_requested.connect(self.order_requested)
        self.orders.orders_shown.connect(self.orders_shown)
        self.notes_model = NotesModel(self)
        self.stock_model = ViewedStockModel(self)
        self._build()
        self._show_profile()
        self._show_product()

    # the orders list of BuyerOrdersPane, as before
    @property
    def model(self):
        return self.orders.model

    @property
    def table(self):
        return self.orders.table

    @property
    def buyer_id(self) -> int | None:
        return self._buyer_id

    @property
    def product_id(self) -> int | None:
        return self._product_id

    @property
    def profile(self):
        return self._profile

    # ---- inputs ---------------------------------------------------------------------------

    def set_engine(self, engine) -> None:
        self._reader.cancel()
        self._stock_reader.cancel()
        self._engine = engine
        self.orders.set_engine(engine)
        if engine is None:
            self._profile = None
            self.notes_model.set_notes([])
            self.stock_model.set_style(None)
        self._refresh_buyer()
        self._refresh_stock()

    def set_agent(self, agent_no: str | None) -> None:
        self._agent_no = agent_no or ""
        self.note_box.setEnabled(bool(self._agent_no) and self._buyer_id is not None)

    def set_submit_write(self, submit_write: Callable | None) -> None:
        self._submit_write = submit_write

    def show_buyer(self, buyer_id: int | None) -> None:
        if buyer_id == self._buyer_id:
            return
        self._buyer_id = buyer_id
        self._profile = None
        self._error = ""
        self.notes_model.set_notes([])
        self.note_box.clear()
        self.note_box.setEnabled(bool(self._agent_no) and buyer_id is not None)
        self.orders.show_buyer(buyer_id)
        self._show_profile()
        self._refresh_buyer()
        self.show_product(None)  # the conversation's product follows (`show_product`)

    def show_product(self, product_id: int | None) -> None:
        """The product page the buyer is on (the open conversation's `product_id`)."""
        if product_id == self._product_id:
            return
        self._product_id = product_id
        self.stock_model.set_style(None)
        self._show_product()
        self._refresh_stock()

    # ---- change events (ui/events.py) ---------------------------------------------------------

    def on_orders_changed(self, change) -> None:
        if self._buyer_id is None or not change:
            return
        self.orders.on_orders_changed(change)
        shown = [r.id for r in self.orders.model.rows()]
        if change.inserted or change.deleted or change.reloaded or change.touches(shown):
            self._refresh_buyer()  # the counts (a new order, a refund)

    def on_buyers_changed(self, change) -> None:
        if self._buyer_id is not None and change and (change.reloaded or change.touches([self._buyer_id])):
            self._refresh_buyer()

    def on_buyer_notes_changed(self, change) -> None:
        if self._buyer_id is not None and change:
            self._refresh_buyer()

    def on_agents_changed(self, change) -> None:
        if self._buyer_id is not None and change and self.notes_model.rowCount():
            self._refresh_buyer()  # an author's name

    def on_outbox_changed(self, ids) -> None:
        mine = {n.mutation_id for n in self.notes_model.notes() if n.mutation_id}
        if self._buyer_id is not None and mine & set(ids):
            self._refresh_buyer()  # one of the agent's notes went out, or was refused
        else:
            self._reader.again_when_done()  # the read on its way may be older than this change

    def on_stock_changed(self, change) -> None:
        style = self.stock_model.style
        if style is None or not change:
            return
        if change.reloaded or change.touches(style.stock_ids) or (bool(change.inserted) and not style.complete):
            self._refresh_stock()

    def on_products_changed(self, change) -> None:
        if self._product_id is not None and change and (change.reloaded or change.touches([self._product_id])):
            self._refresh_stock()

    def on_warehouses_changed(self, change) -> None:
        if self._product_id is not None and change:
            self._refresh_stock()

    # ---- the agent's note ---------------------------------------------------------------------

    def add_note(self) -> None:
        """Enter in the note box: saved through the outbox, shown at once."""
        text = self.note_box.text()
        buyer_id, agent_no = self._buyer_id, self._agent_no
        if buyer_id is None or not text.strip() or self.note_box.isReadOnly():
            return  # (read-only: this note is being saved; a second Enter must not save it twice)
        if self._submit_write is None:
            self.note_status.setText(self.tr("Not connected to a cache"))
            return
        buyers = _buyers()
        what = self.tr("The note could not be saved")

        def saved(changes) -> None:
            self.note_box.setReadOnly(False)
            if self.note_box.text() == text:
                self.note_box.clear()
            self.note_status.setText("")
            self._refresh_buyer()
            for mutation_id in getattr(changes, "outbox", ()):
                self.note_saved.emit(mutation_id)

        def failed(exc: BaseException) -> None:
            self.note_box.setReadOnly(False)  # the text stays for the agent to try again
            self.note_status.setText(f"{what}: {describe_error(exc)}")

        self.note_box.setReadOnly(True)
        self._submit_write(lambda engine: buyers.add_note(engine, buyer_id, text, agent_no=agent_no, initiator=self),
                           what=what, on_done=saved, on_error=failed)

    def shutdown(self) -> None:
        self._reader.shutdown()
        self._stock_reader.shutdown()
        self.orders.shutdown()

    # ---- reads ------------------------------------------------------------------------------

    def _refresh_buyer(self) -> None:
        engine, buyer_id = self._engine, self._buyer_id
        if engine is None or buyer_id is None:
            return
        self._reader.submit((engine, buyer_id), lambda: _read_buyer(engine, buyer_id))

    def _on_buyer(self, request, result) -> None:
        engine, buyer_id = request
        if engine is not self._engine or buyer_id != self._buyer_id:
            return
        profile, notes, names = result
        self._profile = profile
        self._error = ""
        self.notes_model.set_notes(notes, names)
        self._show_profile()
        self.profile_shown.emit(buyer_id)

    def _on_buyer_failed(self, _request, exc: BaseException) -> None:
        log.warning("the buyer could not be read: %s", exc)
        self._error = self.tr("The buyer could not be read: %1").replace("%1", describe_error(exc))
        self._show_profile()

    def _refresh_stock(self) -> None:
        engine, product_id = self._engine, self._product_id
        if engine is None or product_id is None:
            return
        self._stock_reader.submit((engine, product_id), lambda: _read_style(engine, product_id))

    def _on_style(self, request, style) -> None:
        engine, product_id = request
        if engine is not self._engine or product_id != self._product_id:
            return
        self.stock_model.set_style(style)
        self._fit_stock_view()
        self._show_product(missing=style is None)
        self.stock_shown.emit(product_id)

    def _fit_stock_view(self) -> None:
        """As tall as its rows (a style has a few colours), at most `STOCK_ROWS` of them."""
        view = self.stock_view
        view.resizeRowsToContents()
        rows = min(self.stock_model.rowCount(), STOCK_ROWS)
        height = view.horizontalHeader().sizeHint().height() + sum(view.rowHeight(r) for r in range(rows))
        if view.horizontalScrollBar().isVisible() or self.stock_model.columnCount() > 8:
            height += view.horizontalScrollBar().sizeHint().height()
        view.setFixedHeight(height + 2 * view.frameWidth())

    def _on_style_failed(self, _request, exc: BaseException) -> None:
        log.warning("the viewed product's stock could not be read: %s", exc)
        self.product_label.setText(self.tr("The product's stock could not be read: %1")
                                   .replace("%1", describe_error(exc)))

    # ---- view -------------------------------------------------------------------------------

    def profile_text(self) -> str:
        """The profile as one line of words (also the accessible text)."""
        p = self._profile
        if p is None:
            return ""
        parts = [fmt.member_label(p.member_level)]
        if p.orders > 1:
            parts.append(self.tr("Returning buyer"))
        elif p.orders == 1:
            parts.append(self.tr("First order"))
        else:
            parts.append(self.tr("No order yet"))
        parts.append(self.tr("%1 orders").replace("%1", str(p.orders)))
        parts.append(self.tr("%1 refunds").replace("%1", str(p.refunds)))
        if p.first_order_at is not None:
            parts.append(self.tr("first order %1").replace("%1", fmt.local_time(p.first_order_at)[:10]))
        return " · ".join(parts)

    def _show_profile(self) -> None:
        p = self._profile
        if self._buyer_id is None:
            self.name_label.setText(self.tr("Open a conversation to see the buyer"))
            self.level_badge.hide()
            self.profile_label.setText("")
        elif self._error:
            self.profile_label.setText(self._error)
        elif p is None:
            self.name_label.setText(self.tr("Buyer %1").replace("%1", str(self._buyer_id)))
            self.level_badge.hide()
            self.profile_label.setText(self.tr("Not in the local cache yet"))
        else:
            name = f"{p.nick} · {p.name}" if p.name else p.nick
            self.name_label.setText(name or self.tr("Buyer %1").replace("%1", str(p.buyer_id)))
            self.level_badge.setText(fmt.member_label(p.member_level))
            colour = LEVEL_COLOURS.get(p.member_level, LEVEL_COLOURS["normal"])
            self.level_badge.setStyleSheet(f"QLabel {{ color: white; background: {colour}; border-radius: 3px;"
                                           " padding: 0 4px; }")
            self.level_badge.show()
            self.profile_label.setText(self.profile_text())
            self.profile_label.setToolTip(
                self.tr("%1 orders in the local cache, %2 of them refunding or refunded; last order %3")
                .replace("%1", str(p.orders)).replace("%2", str(p.refunds))
                .replace("%3", fmt.local_time(p.last_order_at) or "—"))
        self.notes_title.setText(self.tr("Notes about this buyer (%1)").replace("%1", str(self.notes_model.rowCount()))
                                 if self._buyer_id is not None else self.tr("Notes about this buyer"))

    def _show_product(self, *, missing: bool = False) -> None:
        pid = self._product_id
        style = self.stock_model.style
        has = pid is not None
        self.all_stock_button.setEnabled(has and style is not None)
        self.stock_view.setVisible(style is not None)
        if not has:
            self.product_label.setText(self.tr("Not looking at a product"))
        elif style is not None:
            self.product_label.setText(self.tr("Viewing: %1 %2 — can ship now (real stock):")
                                       .replace("%1", style.name).replace("%2", style.style_no))
        elif missing:
            self.product_label.setText(self.tr("Viewing product %1 (not in the local cache yet)")
                                       .replace("%1", str(pid)))
        else:
            self.product_label.setText(self.tr("Viewing product %1 …").replace("%1", str(pid)))

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(4)
        head = QHBoxLayout()
        self.name_label = QLabel(self)
        self.name_label.setObjectName("buyerName")
        bold = QFont(self.name_label.font())
        bold.setBold(True)
        self.name_label.setFont(bold)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(self.name_label, 1)
        self.level_badge = QLabel(self)
        self.level_badge.setObjectName("buyerLevel")
        head.addWidget(self.level_badge)
        layout.addLayout(head)
        self.profile_label = QLabel(self)
        self.profile_label.setObjectName("buyerProfile")
        self.profile_label.setWordWrap(True)
        layout.addWidget(self.profile_label)

        product = QHBoxLayout()
        self.product_label = QLabel(self)
        self.product_label.setObjectName("viewedProduct")
        self.product_label.setWordWrap(True)
        product.addWidget(self.product_label, 1)
        self.all_stock_button = QToolButton(self)
        self.all_stock_button.setObjectName("viewedProductAllStock")
        self.all_stock_button.setText(self.tr("All warehouses…"))
        self.all_stock_button.setToolTip(self.tr("The product's full stock grid in the stock tab"))
        self.all_stock_button.clicked.connect(
            lambda: self._product_id is not None and self.stock_requested.emit(self._product_id))
        product.addWidget(self.all_stock_button)
        layout.addLayout(product)
        self.stock_view = QTableView(self)
        self.stock_view.setObjectName("viewedProductStock")
        self.stock_view.setModel(self.stock_model)
        self.stock_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stock_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.stock_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stock_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.stock_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.stock_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.stock_view)

        self.orders.layout().setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.orders, 3)

        self.notes_title = QLabel(self)
        self.notes_title.setObjectName("buyerNotesTitle")
        layout.addWidget(self.notes_title)
        self.notes_view = QListView(self)
        self.notes_view.setObjectName("buyerNotes")
        self.notes_view.setModel(self.notes_model)
        self.notes_view.setWordWrap(True)
        self.notes_view.setAlternatingRowColors(True)
        self.notes_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.notes_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        layout.addWidget(self.notes_view, 2)
        self.note_box = QLineEdit(self)
        self.note_box.setObjectName("buyerNoteBox")
        self.note_box.setMaxLength(MAX_NOTE_CHARS)
        self.note_box.setClearButtonEnabled(True)
        self.note_box.setPlaceholderText(self.tr("Add a note every colleague sees (Enter saves)"))
        self.note_box.setEnabled(False)
        self.note_box.returnPressed.connect(self.add_note)
        layout.addWidget(self.note_box)
        self.note_status = QLabel(self)
        self.note_status.setObjectName("buyerNoteStatus")
        self.note_status.setWordWrap(True)
        layout.addWidget(self.note_status)
        self.notes_model.modelReset.connect(self._show_profile)
