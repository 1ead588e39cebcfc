"""Stock pane (a tab of the context area): find a style, see its real stock per warehouse
before promising a size or colour, and what else is in stock when it is not.

Keyboard (from anywhere in the window, once the host calls `install_shortcut`):
  Ctrl+Shift+S  → the stock search (selects its text); type a style no., outer id, name,
                  pinyin initials, colour and/or size;
  Enter         → the top (or selected) style's grid, the cursor on the SKU the query named,
                  its real/reserved/available figures per warehouse on screen.
  Down moves from the search to the results; Esc goes back to the search; Enter on an
  out-of-stock cell moves to its substitutes, Enter on a substitute opens it.
`check_order_lines(lines)` / `check_order(order_id)` show every line of an order at once.

All queries run off the GUI thread (`LatestOnly`, newest wins). The pane refreshes only on
`on_stock_changed` / `on_products_changed` / `on_warehouses_changed` (the session's
`CacheEvents.subscribe(pane)`), and only what is shown; `queries_issued` counts queries so
tests can check that nothing is re-queried for nothing. Substitutes are recomputed with the
grid or when the agent moves to another out-of-stock cell, not on every stock change.
"""
from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QTableView, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt
from workstation.ui.errors import describe_error
from workstation.ui.stock_models import (CELL_ROLE, SKU_ROLE, Figure, StockCheckModel, StockGridModel,
                                         StyleResultsModel, as_of_text, cell_summary)
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

SHORTCUT = "Ctrl+Shift+S"  # Ctrl+K belongs to quick phrases, Ctrl+F to the order search
_ITEM_ROLE = Qt.ItemDataRole.UserRole + 1  # a substitute's (product id, sku id)


def _stock():
    from workstation.models import stock  # noqa: PLC0415 (lazy: SQLAlchemy stays out of start-up)

    return stock


def _catalogue():
    from workstation.models import catalogue  # noqa: PLC0415 (lazy, as `_stock`)

    return catalogue


def _table(parent: QWidget, name: str) -> QTableView:
    table = QTableView(parent)
    table.setObjectName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.horizontalHeader().setHighlightSections(False)
    return table


class StockPane(QWidget):
    results_shown = Signal(str, int)  # query, number of styles
    style_shown = Signal(int)  # product id
    check_shown = Signal(object)  # order id (or None), after an order's lines were checked
    substitutes_shown = Signal(int)  # sku id
    activation_requested = Signal()  # the host shows this pane (raises its tab)

    def __init__(self, parent: QWidget | None = None, *, debounce_ms: int = 120, limit: int = 50) -> None:
        super().__init__(parent)
        self._engine = None
        self._limit = limit
        self._catalogue = None
        self._last_synced: datetime | None = None
        self._shown_query: str | None = None
        self._open_top_when_ready = False
        self._style_id: int | None = None  # the style shown (or being loaded)
        self._focus_sku: int | None = None  # the cell to put the cursor on when it arrives
        self._check_request = None  # (order id, lines) of the check shown
        self._error = ""
        self.searches_issued = 0
        self.grid_loads_issued = 0
        self.check_loads_issued = 0
        self.substitute_loads_issued = 0

        self._searcher = LatestOnly(self, name="stock-search")
        self._searcher.finished.connect(self._on_results)
        self._searcher.failed.connect(lambda q, exc: self._failed(self.tr("Search failed: %1"), exc))
        self._grid_loader = LatestOnly(self, name="stock-grid")
        self._grid_loader.finished.connect(self._on_grid)
        self._grid_loader.failed.connect(lambda _r, exc: self._failed(self.tr("Stock could not be read: %1"), exc))
        self._check_loader = LatestOnly(self, name="stock-check")
        self._check_loader.finished.connect(self._on_check)
        self._check_loader.failed.connect(lambda _r, exc: self._failed(self.tr("Stock could not be read: %1"), exc))
        self._subs_loader = LatestOnly(self, name="stock-substitutes")
        self._subs_loader.finished.connect(self._on_substitutes)
        self._subs_loader.failed.connect(lambda _r, exc: self._failed(self.tr("Stock could not be read: %1"), exc))

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._run_search)
        self._build()

    # public API ---------------------------------------------------------------------------
    @property
    def queries_issued(self) -> int:
        return self.searches_issued + self.grid_loads_issued + self.check_loads_issued + self.substitute_loads_issued

    def set_engine(self, engine) -> None:
        """Point the pane at an open cache (None while none is open)."""
        for loader in (self._searcher, self._grid_loader, self._check_loader, self._subs_loader):
            loader.cancel()
        self._engine = engine
        self._catalogue = _catalogue().Catalogue() if engine is not None else None
        self._shown_query = None
        if engine is None:
            self.results.set_matches([])
            self.grid.clear()
            self.check_model.set_check(None)
            self._show_substitutes(None)
        else:
            if self.query():
                self._run_search()
            else:  # build the search index now, not on the agent's first keystroke
                catalogue = self._catalogue
                self.searches_issued += 1
                self._searcher.submit(None, lambda: catalogue.ensure(engine))
            if self._style_id is not None:
                self._load_grid(self._style_id)
            if self._check_request is not None:
                self._load_check(*self._check_request)
        self._update_info()

    def set_last_synced(self, when: datetime | None) -> None:
        self._last_synced = when
        self._update_info()

    def install_shortcut(self, window: QWidget) -> QAction:
        """Ctrl+Shift+S on `window` (a window shortcut works while this pane is a hidden tab)."""
        action = QAction(self.tr("Check stock"), window)
        action.setShortcut(QKeySequence(SHORTCUT))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(self.focus_search)
        window.addAction(action)
        return action

    def focus_search(self) -> None:
        self.activation_requested.emit()
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def query(self) -> str:
        return self.search_field.text().strip()

    def show_style(self, product_id: int, sku_id: int | None = None) -> None:
        """Open a style's grid, the cursor on `sku_id` when given."""
        self._focus_sku = sku_id
        self._load_grid(product_id)

    def check_order_lines(self, lines, order_id: int | None = None) -> None:
        """Slot: real stock of every line at once (`OrderLineRow`s, dicts with sku_id/qty or
        (sku_id, qty) pairs). Bad lines get a clear message and change nothing."""
        try:
            requests = _stock().lines_of(list(lines))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self._error = self.tr("Cannot check these lines: %1").replace("%1", str(exc))
            self._update_info()
            return
        self.activation_requested.emit()
        self._load_check(order_id, tuple(requests))

    def check_order(self, order_id: int) -> None:
        """Slot (e.g. for the order detail's `check_stock_requested`): check a cached order's
        lines; a paid order's own reservation is given back when judging."""
        self.activation_requested.emit()
        self._load_check(order_id, None)

    def open_selected_or_top(self) -> None:
        if self._debounce.isActive() or self._shown_query != self.query():
            self._open_top_when_ready = True
            if self._debounce.isActive():
                self._debounce.stop()
                self._run_search()
            return
        current = self.results_table.currentIndex()
        self._open_result(current.row() if current.isValid() else 0)

    def shutdown(self) -> None:
        self._debounce.stop()
        for loader in (self._searcher, self._grid_loader, self._check_loader, self._subs_loader):
            loader.shutdown()

    # change sets ------------------------------------------------------------------------------
    def on_stock_changed(self, change) -> None:
        if self._engine is None or not change:
            return
        style = self.grid.style
        if style is not None and self._touches(change, style.stock_ids, style.complete):
            self._load_grid(style.product_id)
        check = self.check_model.check
        if check is not None and self._touches(change, check.stock_ids,
                                               all(len(ln.cells) == len(check.warehouses) and
                                                   all(c.stock_id for c in ln.cells) for ln in check.lines)):
            self._load_check(*self._check_request)

    def on_products_changed(self, change) -> None:
        if self._engine is None or not change:
            return
        if self._catalogue is not None:
            self._catalogue.mark_stale(change.ids)
        if self._shown_query:  # a renamed or new style may match now; styles change rarely
            self._run_search()
        style = self.grid.style
        if style is not None and (change.reloaded or style.product_id in change.ids):
            self._load_grid(style.product_id)
        check = self.check_model.check
        if check is not None and (change.reloaded or change.touches(
                {ln.product_id for ln in check.lines if ln.product_id is not None})):
            self._load_check(*self._check_request)

    def on_warehouses_changed(self, change) -> None:
        if self._engine is None or not change:
            return
        if self.grid.style is not None:
            self._load_grid(self.grid.style.product_id)
        if self.check_model.check is not None:
            self._load_check(*self._check_request)

    @staticmethod
    def _touches(change, stock_ids, complete: bool) -> bool:
        # A new stock row can only be one of ours if some shown cell has no row yet.
        return change.reloaded or change.touches(stock_ids) or (bool(change.inserted) and not complete)

    # build ------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.search_field = QLineEdit(self)
        self.search_field.setObjectName("stockSearch")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setPlaceholderText(
            self.tr("Find a style: style no., name, pinyin initials, outer id, colour, size (Ctrl+Shift+S)"))
        self.search_field.setToolTip(self.tr(
            "Stock search (Ctrl+Shift+S). Enter opens the top or selected style, Down moves to the "
            "results, Esc clears."))
        self.search_field.textChanged.connect(self._on_text_changed)
        self.search_field.installEventFilter(self)
        layout.addWidget(self.search_field)

        self.info = QLabel(self)
        self.info.setObjectName("stockInfo")
        layout.addWidget(self.info)

        self.check_title = QLabel(self)
        self.check_title.setObjectName("stockCheckTitle")
        self.check_title.setWordWrap(True)
        layout.addWidget(self.check_title)
        self.check_model = StockCheckModel(self)
        self.check_table = _table(self, "stockCheck")
        self.check_table.setModel(self.check_model)
        self.check_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.check_table.setToolTip(self.tr("Enter opens the line's style grid, Esc returns to the search"))
        self.check_table.installEventFilter(self)
        self.check_table.activated.connect(lambda index: self._open_line(index.row()))
        layout.addWidget(self.check_table, 1)

        self.results = StyleResultsModel(self)
        self.results_table = _table(self, "stockResults")
        self.results_table.setModel(self.results)
        self.results_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results_table.horizontalHeader().setStretchLastSection(True)
        self.results_table.setMaximumHeight(self.results_table.verticalHeader().defaultSectionSize() * 7)
        self.results_table.installEventFilter(self)
        self.results_table.activated.connect(lambda index: self._open_result(index.row()))
        layout.addWidget(self.results_table)

        self.style_title = QLabel(self)
        self.style_title.setObjectName("stockStyleTitle")
        self.style_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.style_title)
        self.grid = StockGridModel(self)
        self.grid_table = _table(self, "stockGrid")
        self.grid_table.setModel(self.grid)
        self.grid_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid_table.setToolTip(self.tr(
            "Real stock per warehouse: available = real − reserved. ✕ out of stock, ⚠ the shop page "
            "shows another figure. Enter on an out-of-stock cell moves to what else is in stock."))
        self.grid_table.installEventFilter(self)
        self.grid_table.selectionModel().currentChanged.connect(self._on_current_cell)
        layout.addWidget(self.grid_table, 3)

        self.cell_detail = QLabel(self)
        self.cell_detail.setObjectName("stockCellDetail")
        self.cell_detail.setWordWrap(True)
        layout.addWidget(self.cell_detail)
        self.substitutes_title = QLabel(self)
        layout.addWidget(self.substitutes_title)
        self.substitutes = QListWidget(self)
        self.substitutes.setObjectName("stockSubstitutes")
        self.substitutes.installEventFilter(self)
        self.substitutes.itemActivated.connect(self._open_substitute)
        layout.addWidget(self.substitutes, 1)
        self._show_check_area(False)
        self._show_substitutes(None)
        self._update_info()

    # keys -------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        key = event.key()
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if watched is self.search_field:
            if enter:
                self.open_selected_or_top()
                return True
            if key == Qt.Key.Key_Escape:
                self.search_field.clear()
                return True
            if key == Qt.Key.Key_Down and self.results.rowCount():
                self.results_table.setFocus(Qt.FocusReason.TabFocusReason)
                if not self.results_table.currentIndex().isValid():
                    self.results_table.setCurrentIndex(self.results.index(0, 0))
                return True
        elif key == Qt.Key.Key_Escape and watched in (self.results_table, self.grid_table, self.check_table):
            self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        elif key == Qt.Key.Key_Escape and watched is self.substitutes:
            self.grid_table.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        elif enter and watched is self.grid_table and self.substitutes.count():
            self.substitutes.setFocus(Qt.FocusReason.TabFocusReason)
            self.substitutes.setCurrentRow(0)
            return True
        return super().eventFilter(watched, event)

    def _on_text_changed(self, _text: str) -> None:
        self._open_top_when_ready = False
        self._debounce.start()

    # searching --------------------------------------------------------------------------------
    def _run_search(self) -> None:
        query = self.query()
        if self._engine is None:
            return
        if not query:
            self._shown_query = ""
            self.results.set_matches([])
            self._update_info()
            return
        engine, catalogue, limit = self._engine, self._catalogue, self._limit

        def job():
            catalogue.ensure(engine)
            return catalogue.search(query, limit)

        self.searches_issued += 1
        self._searcher.submit(query, job)

    def _on_results(self, query: str, matches) -> None:
        if query != self.query():
            return
        self._error = ""
        self._shown_query = query
        self.results.set_matches(matches)
        if matches:
            self.results_table.setCurrentIndex(self.results.index(0, 0))
        self._update_info()
        self.results_shown.emit(query, len(matches))
        if self._open_top_when_ready:
            self._open_top_when_ready = False
            self._open_result(0)

    def _open_result(self, row: int) -> None:
        match = self.results.match_at(row)
        if match is None:
            return
        self._show_check_area(False)
        self._check_request = None
        self.show_style(match.product_id, match.sku_ids[0] if match.sku_ids else None)
        self.grid_table.setFocus(Qt.FocusReason.OtherFocusReason)

    # the grid ---------------------------------------------------------------------------------
    def _load_grid(self, product_id: int) -> None:
        self._style_id = product_id
        if self._engine is None:
            return
        engine = self._engine
        self.grid_loads_issued += 1
        self._grid_loader.submit(product_id, lambda: _stock().style_stock(engine, product_id))

    def _on_grid(self, product_id: int, style) -> None:
        if product_id != self._style_id:
            return
        self._error = ""
        if style is None:
            self.grid.clear()
            self.style_title.setText(self.tr("This style is no longer in the local cache."))
            self._update_info()
            return
        self.grid.set_style(style)  # the same shape is taken in place: the cursor stays
        current = self.grid_table.currentIndex()
        self.style_title.setText(f"{style.style_no} · {style.name} · {style.category} · "
                                 f"{fmt.money(style.page_price_cents)}")
        self._fit_grid_columns()
        sku = self._focus_sku
        self._focus_sku = None
        target = self.grid.index_of(sku) if sku is not None else QModelIndex()
        if not target.isValid() and not current.isValid():
            target = self.grid.index(0, 3) if self.grid.rowCount() and self.grid.columnCount() > 3 else QModelIndex()
        self.substitutes.setProperty("skuId", None)  # new figures: substitutes are read again
        if target.isValid() and target != current:
            self.grid_table.setCurrentIndex(target)  # currentChanged updates the detail line
            self.grid_table.scrollTo(target)
        else:
            self._on_current_cell(self.grid_table.currentIndex(), QModelIndex())
        self._update_info()
        self.style_shown.emit(style.product_id)

    def _fit_grid_columns(self) -> None:
        fm = self.grid_table.fontMetrics()
        header = self.grid_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column in range(3, self.grid.columnCount()):
            self.grid_table.setColumnWidth(column, fm.horizontalAdvance("⚠ 9999") + 12)

    def _on_current_cell(self, current: QModelIndex, _previous: QModelIndex) -> None:
        cell = self.grid.data(current, CELL_ROLE) if current.isValid() else None
        style = self.grid.style
        if cell is None or style is None:
            self.cell_detail.setText("")
            self._show_substitutes(None)
            return
        sku = style.sku(cell.sku_id)
        warehouse = next((w.name for w in style.warehouses if w.id == cell.warehouse_id), "")
        text = f"{sku.outer_id} · " + cell_summary(sku.colour, sku.size, warehouse, cell)
        if cell.out_of_stock:
            elsewhere = [(w.name, style.cell(sku.id, w.id).available) for w in style.warehouses
                         if w.id != cell.warehouse_id and style.cell(sku.id, w.id).available > 0]
            if elsewhere:
                text += " · " + self.tr("in stock in %1").replace(
                    "%1", ", ".join(f"{name} {n}" for name, n in elsewhere))
            self._load_substitutes(sku.id)
        else:
            self._show_substitutes(None)
        self.cell_detail.setText(text)

    # substitutes ------------------------------------------------------------------------------
    def _load_substitutes(self, sku_id: int) -> None:
        if self._engine is None:
            return
        shown = self.substitutes.property("skuId")
        if shown == sku_id and self.substitutes.count():
            return
        engine = self._engine
        self.substitute_loads_issued += 1
        self._subs_loader.submit(sku_id, lambda: _stock().find_substitutes(engine, sku_id))

    def _on_substitutes(self, sku_id: int, subs) -> None:
        current = self.grid.data(self.grid_table.currentIndex(), SKU_ROLE)
        if current != sku_id:
            return
        self._show_substitutes(subs)
        self.substitutes_shown.emit(sku_id)

    def _show_substitutes(self, subs) -> None:
        self.substitutes.clear()
        self.substitutes.setProperty("skuId", subs.sku_id if subs is not None else None)
        if subs is None:
            self.substitutes_title.hide()
            self.substitutes.hide()
            return
        for option in subs.same_style:
            self._add_substitute(self.tr("Same style: %1 %2 — %3 available (%4)"), option)
        for option in subs.similar:
            self._add_substitute(self.tr("Similar: %5 %6 %1 %2 — %3 available (%4)"), option)
        self.substitutes_title.setText(self.tr("Out of stock — in stock instead (Enter to move here):")
                                       if subs else self.tr("Out of stock — nothing similar in stock."))
        self.substitutes_title.show()
        self.substitutes.setVisible(bool(subs))

    def _add_substitute(self, template: str, option) -> None:
        text = (template.replace("%1", option.colour).replace("%2", option.size)
                .replace("%3", str(option.available)).replace("%4", option.best_warehouse)
                .replace("%5", option.style_no).replace("%6", option.name))
        item = QListWidgetItem(text, self.substitutes)
        item.setData(_ITEM_ROLE, (option.product_id, option.sku_id))

    def _open_substitute(self, item: QListWidgetItem) -> None:
        product_id, sku_id = item.data(_ITEM_ROLE)
        self.show_style(product_id, sku_id)
        self.grid_table.setFocus(Qt.FocusReason.OtherFocusReason)

    # checking an order ------------------------------------------------------------------------
    def _load_check(self, order_id: int | None, requests) -> None:
        self._check_request = (order_id, requests)
        self._show_check_area(True)
        if self._engine is None:
            return
        engine, stock = self._engine, _stock()
        if requests is None:
            job = lambda: stock.check_order(engine, order_id)  # noqa: E731
        else:
            job = lambda: stock.check_skus(engine, requests, order_id=order_id)  # noqa: E731
        self.check_loads_issued += 1
        self._check_loader.submit((order_id, requests), job)

    def _on_check(self, request, check) -> None:
        if request != self._check_request:
            return
        self._error = ""
        order_id = request[0]
        if check is None:
            self.check_model.set_check(None)
            self.check_title.setText(self.tr("This order is no longer in the local cache."))
            self._update_info()
            return
        self.check_model.set_check(check)
        self.check_table.resizeColumnsToContents()
        short = sum(1 for line in check.lines if not line.enough)
        if not check.lines:
            summary = self.tr("no lines to check")
        elif short:
            summary = self.tr("✕ %1 of %2 lines cannot ship in full").replace("%1", str(short)).replace(
                "%2", str(len(check.lines)))
        else:
            summary = self.tr("✓ every line is in stock")
        title = self.tr("Stock of the order's lines") if order_id is not None else self.tr("Stock of the lines")
        self.check_title.setText(f"{title}: {summary}")
        self.check_title.setStyleSheet("color: #c62828;" if short else "")
        if self.check_model.rowCount():
            self.check_table.setCurrentIndex(self.check_model.index(0, 0))
        self.check_table.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_info()
        self.check_shown.emit(order_id)

    def _open_line(self, row: int) -> None:
        line = self.check_model.line_at(row)
        if line is not None and line.product_id is not None:
            self.show_style(line.product_id, line.sku_id)
            self.grid_table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_check_area(self, visible: bool) -> None:
        self.check_title.setVisible(visible)
        self.check_table.setVisible(visible)

    # info -------------------------------------------------------------------------------------
    def _failed(self, template: str, exc: BaseException) -> None:
        log.warning("stock pane query failed", exc_info=(type(exc), exc, exc.__traceback__))
        self._error = template.replace("%1", describe_error(exc))
        self._update_info()

    def _as_of(self) -> datetime | None:
        times = [t for t in (self._last_synced,
                             self.grid.style.as_of if self.grid.style is not None else None,
                             self.check_model.check.as_of if self.check_model.check is not None else None)
                 if t is not None]
        return max(times) if times else None

    def _update_info(self) -> None:
        parts = []
        if self._engine is None:
            parts.append(self.tr("Opening the local cache…"))
        elif self._shown_query and self._shown_query == self.query():
            n = self.results.rowCount()
            parts.append(self.tr("No matching styles") if n == 0 else self.tr("%1 styles").replace("%1", str(n)))
        if self._engine is not None:
            parts.append(as_of_text(self._as_of()))
        text = " · ".join(parts)
        if self._error:
            text = f"{self._error} · {text}"
        self.info.setText(text)
        self.info.setStyleSheet(f"color: {fmt.COD_COLOUR};" if self._error else "color: palette(mid);")
