"""Order lookup pane: search-as-you-type over the local cache, a results table and the
order's detail. With an empty query the table shows the newest orders. Searches, newest-order
loads and detail loads run off the GUI thread; a newer request supersedes an older one (its
results are dropped).

New data arrives as change sets (`on_orders_changed`): the pane re-queries only when the
change can alter what it shows, and takes changed rows in place, so a sync never disturbs the
agent's selection or scroll position. `searches_issued` / `detail_loads_issued` count the
queries, so tests and benchmarks can check that nothing is re-queried for nothing."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget

from workstation.ui import formatting as fmt
from workstation.ui.errors import describe_error, error_detail, is_cache_failure
from workstation.ui.order_detail import OrderDetailView
from workstation.ui.order_table import Column, OrderTableModel, order_view
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

SearchFn = Callable[[object, str, int], list]
RecentFn = Callable[[object, int], list]
DetailFn = Callable[[object, int], object]
MoreFn = Callable[[object, str, int, int], tuple]  # engine, query, limit, before id -> (rows, has_more)
CountFn = Callable[[object, str, int], tuple]  # engine, query, up_to -> (n, exact)

COUNT_UP_TO = 1000  # "more than 1,000 matches": counting further costs more than it tells
MAX_KEPT_ROWS = 1000  # a refresh of a list scrolled this far keeps it loaded


def _default_search(engine, query: str, limit: int):
    from workstation.models.search import search_orders  # noqa: PLC0415 (lazy: SQLAlchemy)

    return search_orders(engine, query, limit=limit)


def _default_recent(engine, limit: int):
    from workstation.models.search import recent_orders  # noqa: PLC0415

    return recent_orders(engine, limit=limit)


def _default_more(engine, query: str, limit: int, before: int):
    from workstation.models.search import search_page  # noqa: PLC0415

    page = search_page(engine, query, limit=limit, before=before)
    return page.rows, page.more


def _default_count(engine, query: str, up_to: int):
    from workstation.models.search import count_matches  # noqa: PLC0415

    return count_matches(engine, query, up_to=up_to)


def _default_detail(engine, order_id: int):
    from workstation.models.search import get_order_detail  # noqa: PLC0415

    return get_order_detail(engine, order_id)


class OrderLookupPane(QWidget):
    """`engine` arrives later through `set_engine` (the cache opens in the background)."""

    results_shown = Signal(str, int)  # query, number of rows
    detail_shown = Signal(int)  # order id

    def __init__(self, parent: QWidget | None = None, *, search_fn: SearchFn | None = None,
                 recent_fn: RecentFn | None = None, detail_fn: DetailFn | None = None,
                 more_fn: MoreFn | None = None, count_fn: CountFn | None = None,
                 debounce_ms: int = 40, limit: int = 50) -> None:
        super().__init__(parent)
        self._search_fn = search_fn or _default_search
        self._more_fn = more_fn or _default_more
        self._count_fn = count_fn or _default_count
        self._recent_fn = recent_fn or _default_recent
        self._detail_fn = detail_fn or _default_detail
        self._limit = limit
        self._engine = None
        self._last_synced: datetime | None = None
        self._shown_query: str | None = None  # query of the rows shown; "" = the newest orders
        self._open_top_when_ready = False
        self._error = ""
        self._first_sync: float | None = None  # fraction 0..1 while the first load runs
        self._detail_id: int | None = None  # the order open (or being loaded) in the detail
        self.searches_issued = 0  # searches and newest-order loads submitted
        self.detail_loads_issued = 0
        self.more_loads_issued = 0  # pages of older matches (scrolling on)
        self.counts_issued = 0
        # How many orders match the shown query: (n, exact) once counted; None = not asked
        # (fewer than a page) or on its way. `_more` False = every match is loaded.
        self._count: tuple[int, bool] | None = None
        self._more = False

        self._searcher = LatestOnly(self, name="order-search")
        self._searcher.finished.connect(self._on_results)
        self._searcher.failed.connect(self._on_search_failed)
        self._more_loader = LatestOnly(self, name="order-more")
        self._more_loader.finished.connect(self._on_more)
        self._more_loader.failed.connect(self._on_search_failed)
        self._counter = LatestOnly(self, name="order-count")
        self._counter.finished.connect(self._on_count)
        self._counter.failed.connect(lambda _q, exc: _log_failure("count", exc))
        self._detail_loader = LatestOnly(self, name="order-detail")
        self._detail_loader.finished.connect(self._on_detail)
        self._detail_loader.failed.connect(self._on_detail_failed)

        # Short: a lookup takes ~1-5 ms at 1M orders and a newer query replaces an older one
        # still running, so the wait only saves work between keys typed in a burst
        # (bench/typing.py: key press to painted rows).
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._run_search)

        self._build()

    # public API -------------------------------------------------------------
    def set_engine(self, engine) -> None:
        """Point the pane at an open cache (or None while none is open)."""
        self._searcher.cancel()
        self._more_loader.cancel()
        self._counter.cancel()
        self._detail_loader.cancel()
        self._engine = engine
        self._shown_query = None
        if engine is None:
            self.model.clear()  # those rows belong to the cache being closed
            if self._detail_id is not None:
                self._close_detail()
        else:
            self._run_search()
            if self._detail_id is not None:  # its load was cancelled above: read it from this cache
                self._load_detail(self._detail_id)
        self._update_info()

    def set_last_synced(self, when: datetime | None) -> None:
        self._last_synced = when
        self._update_info()

    def set_first_sync_progress(self, fraction: float | None) -> None:
        """Slot: overall first-load progress 0..1, None when no first load is running. While
        it runs, results say they may be incomplete (the orders are still arriving)."""
        self._first_sync = None if fraction is None else max(0.0, min(1.0, float(fraction)))
        self._update_info()

    @property
    def queries_issued(self) -> int:
        return self.searches_issued + self.detail_loads_issued + self.more_loads_issued + self.counts_issued

    def load_more(self) -> bool:
        """The next page of older matches below the shown ones (scrolling to the end of the
        results does this). False when there is nothing more to load or it is on its way."""
        query = self._shown_query
        if (self._engine is None or not query or query != self.query() or not self._more
                or self._more_loader.busy() or not self.model.rowCount()):
            return False
        engine, fn, limit = self._engine, self._more_fn, self._limit
        before = self.model.row_at(self.model.rowCount() - 1).id
        self.more_loads_issued += 1
        self._more_loader.submit((query, before), lambda: fn(engine, query, limit, before))
        return True

    def on_orders_changed(self, change) -> None:
        """Slot: the orders stream changed (a `models.changes.StreamChange`). Re-runs the shown
        search or newest-orders list only when the change can alter it, and reloads the open
        order only when it changed; nothing is queried when nothing shown changed."""
        if self._engine is None or change.stream != "orders" or not change:
            return
        if self._list_affected_by(change):
            self._run_search()
        self._detail_affected_by(change)

    def add_header_widget(self, widget: QWidget) -> None:
        """Room to the right of the search field (the main window puts the agent menu there)."""
        self._header.addWidget(widget)

    def query(self) -> str:
        return self.search_field.text().strip()

    def focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def refresh(self) -> None:
        """Forced reload: re-run the current query (or the newest orders) and reload the open
        order, whatever changed."""
        if self._engine is None:
            return
        self._run_search()
        if self._detail_id is not None:
            self._load_detail(self._detail_id)

    def open_selected_or_top(self) -> None:
        """Enter: open the selected result, or the top one (the newest order when the query
        is empty)."""
        if self._debounce.isActive() or self._shown_query != self.query():
            self._open_top_when_ready = True
            if self._debounce.isActive():
                self._debounce.stop()
                self._run_search()
            return
        current = self.table.currentIndex()
        row = current.row() if current.isValid() and self.table.selectionModel().hasSelection() else 0
        self._open_row(row)

    def back(self) -> None:
        """Esc: clear the search text first, then close the detail."""
        if self.search_field.text():
            self.search_field.clear()
        elif self._detail_id is not None or self.detail.is_showing():
            self._close_detail()
        self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def shutdown(self) -> None:
        self._debounce.stop()
        self._searcher.shutdown()
        self._more_loader.shutdown()
        self._counter.shutdown()
        self._detail_loader.shutdown()

    # build ------------------------------------------------------------------
    def open_order(self, order_id: int) -> None:
        """Show this order in the detail (e.g. from the outbox panel), whatever the list shows."""
        self._load_detail(order_id)

    def edit_remark(self) -> None:
        """F2 anywhere in the lookup: write the open order's remark."""
        if self.detail.is_showing():
            self.detail.remark.begin_edit()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(4)
        QShortcut(QKeySequence(Qt.Key.Key_F2), self, self.edit_remark,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self._header = QHBoxLayout()
        self.search_field = QLineEdit(self)
        self.search_field.setObjectName("orderSearch")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setPlaceholderText(
            self.tr("Search order no., nickname, name, phone last digits, address, tracking no. (Ctrl+F)"))
        self.search_field.setToolTip(self.tr(
            "Search orders (Ctrl+F). Enter opens the top or selected result, "
            "Down moves to the results, Esc clears."))
        self.search_field.textChanged.connect(self._on_text_changed)
        self.search_field.installEventFilter(self)
        self._header.addWidget(self.search_field, 1)
        layout.addLayout(self._header)

        self.info = QLabel(self)
        self.info.setObjectName("resultsInfo")
        self.info.setStyleSheet("color: palette(mid);")
        layout.addWidget(self.info)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.model = OrderTableModel(self)
        self.table = order_view(self.splitter, self.model, "orderResults")
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        self._size_columns()
        self.table.setToolTip(self.tr("Results: Enter or click opens an order, Esc returns to the search (Ctrl+F)"))
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.table.activated.connect(lambda index: self._open_row(index.row()))
        self.table.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.table.installEventFilter(self)

        self.detail = OrderDetailView(self.splitter)
        self.detail.setObjectName("orderDetail")
        self.detail.closed.connect(self.back)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([720, 520])  # scaled to the real width; the detail needs room
        # The detail takes its share only while it has something to show: with no order open
        # the table gets the whole width (at 1280 px every column fits).
        self.detail.hide()
        layout.addWidget(self.splitter, 1)
        self._update_info()

    def _size_columns(self) -> None:
        """Widths from sample content in the current font (digits and CJK differ a lot)."""
        fm = self.table.fontMetrics()
        samples = {Column.ORDER_NO: "202611110000000000", Column.BUYER_NICK: "tb_buyer_1234",
                   Column.RECEIVER: "欧阳小明", Column.PHONE: "138****5678",
                   Column.STATUS: "■ " + max((fmt.status_label(k) for k in fmt.STATUS_COLOURS),
                                              key=fm.horizontalAdvance),
                   Column.FLAG: "■ " + max((fmt.flag_label(k) for k in fmt.FLAG_COLOURS), key=fm.horizontalAdvance),
                   Column.PAYMENT: "⚠ " + max((fmt.payment_label("cod"), fmt.payment_label("online", paid=False)),
                                             key=fm.horizontalAdvance),
                   Column.AMOUNT: "¥12,345.00", Column.CREATED: "2026-11-11 00:00"}
        for column, sample in samples.items():
            title = self.model.headerData(column, Qt.Orientation.Horizontal)
            self.table.setColumnWidth(column, max(fm.horizontalAdvance(sample), fm.horizontalAdvance(title)) + 20)

    # events -----------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if watched is self.search_field:
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    self.open_selected_or_top()
                    return True
                if key == Qt.Key.Key_Escape:
                    self.back()
                    return True
                if key == Qt.Key.Key_Down and self.model.rowCount():
                    self.table.setFocus(Qt.FocusReason.TabFocusReason)
                    if not self.table.currentIndex().isValid():
                        self._select_row(0)
                    return True
            elif watched is self.table:
                if key == Qt.Key.Key_Escape:
                    self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)
                    return True
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    current = self.table.currentIndex()
                    self._open_row(current.row() if current.isValid() else 0)
                    return True
                if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown, Qt.Key.Key_End):
                    current = self.table.currentIndex()
                    if current.isValid() and current.row() >= self.model.rowCount() - 1:
                        self.load_more()
        return super().eventFilter(watched, event)

    def _on_text_changed(self, _text: str) -> None:
        self._open_top_when_ready = False
        if not self.query():  # back to the newest orders, at once (no typing to wait for)
            self._debounce.stop()
            self._run_search()
            self._update_info()
            return
        self._debounce.start()

    # searching --------------------------------------------------------------
    def _on_scrolled(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if bar.maximum() > 0 and value >= bar.maximum():
            self.load_more()

    def _search_job(self, query: str):
        engine, limit = self._engine, self._limit
        if query and query == self._shown_query:
            # The same search again (a sync changed something): keep as many rows as the
            # agent scrolled through, so the list stays where it is.
            limit = max(limit, min(self.model.rowCount(), MAX_KEPT_ROWS))
        if not query:
            recent = self._recent_fn
            return lambda: recent(engine, limit)
        search = self._search_fn
        return lambda: search(engine, query, limit)

    def _run_search(self) -> None:
        """Search for the current query, or load the newest orders when it is empty: one
        newest-wins queue for both, so a stale answer of either kind never replaces the other."""
        query = self.query()
        if self._engine is None:
            self._update_info()
            return  # runs from set_engine once the cache is open
        self.searches_issued += 1
        self._searcher.submit(query, self._search_job(query))

    def _list_affected_by(self, change) -> bool:
        """Whether `change` can alter the rows shown for the current query."""
        if change.reloaded:
            return True
        if self._shown_query is None or self._shown_query != self.query():
            return False  # a search is on its way; it reads the new data anyway
        shown = [row.id for row in self.model.rows()]
        if change.touches(shown):
            return True
        if not self._shown_query:  # the newest orders: a new one above the oldest shown row
            if not change.inserted:
                return False
            return len(shown) < self._limit or max(change.inserted) > min(shown)
        return bool(change.reindexed or change.inserted)  # a row may newly match

    def _detail_affected_by(self, change) -> None:
        order_id = self._detail_id
        if order_id is None or not (change.reloaded or order_id in change.ids):
            return
        if order_id in change.deleted and not change.reloaded:
            self._detail_loader.cancel()
            self.detail.show_missing()  # no query needed: the sync just deleted it
            return
        self._load_detail(order_id)

    def _on_results(self, query: str, rows) -> None:
        if query != self.query():
            return  # typed on since; the newer query's results are on their way
        new_search = query != self._shown_query
        self._error = ""
        self._shown_query = query
        if new_search:
            self._more_loader.cancel()
            self._counter.cancel()
            self._count = None
        self._more = bool(query) and len(rows) >= self._limit and (
            self._count is None or not self._count[1] or self._count[0] > len(rows))
        if new_search and self._more:
            self._count_matches(query)
        if rows != self.model.rows() and not self.model.update_rows(rows):
            self.model.set_rows(rows)  # other orders; the same orders changed are taken in place
        if new_search and self._detail_id is not None and self._detail_id not in {r.id for r in rows}:
            self._close_detail()  # never leave another buyer's phone and address on screen
        self._update_info()
        self.results_shown.emit(query, len(rows))
        if self._open_top_when_ready:
            self._open_top_when_ready = False
            if rows:
                self._open_row(0)

    def _count_matches(self, query: str) -> None:
        engine, fn = self._engine, self._count_fn
        self.counts_issued += 1
        self._counter.submit(query, lambda: fn(engine, query, COUNT_UP_TO))

    def _on_count(self, query: str, count) -> None:
        if query != self._shown_query:
            return
        self._count = (int(count[0]), bool(count[1]))
        if self._count[1] and self._count[0] <= self.model.rowCount():
            self._more = False
        self._update_info()

    def _on_more(self, request, result) -> None:
        query, before = request
        rows, has_more = result
        last = self.model.row_at(self.model.rowCount() - 1)
        if query != self._shown_query or query != self.query() or last is None or last.id != before:
            return  # the list changed meanwhile; scrolling on asks again
        shown = {r.id for r in self.model.rows()}
        self.model.append_rows([r for r in rows if r.id not in shown])
        self._more = bool(has_more)
        self._update_info()
        self.results_shown.emit(query, self.model.rowCount())

    def _on_search_failed(self, query, exc: BaseException) -> None:
        if isinstance(query, tuple):  # a page of older matches: the shown rows stay
            query = query[0]
        if query != self.query():
            return
        _log_failure("search", exc)
        if is_cache_failure(exc):
            self._error = self.tr("Search failed: the local cache could not be read (%1)").replace(
                "%1", error_detail(exc))
        else:
            self._error = self.tr("Search failed: %1").replace("%1", describe_error(exc))
        if query != self._shown_query:  # the rows shown belong to another query: not its answer
            self._shown_query = None
            self.model.clear()
            if self._detail_id is not None:
                self._close_detail()
        self._update_info()

    # detail -----------------------------------------------------------------
    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def _open_row(self, row: int) -> None:
        order = self.model.row_at(row)
        if order is None:
            return
        if self.table.currentIndex().row() != row:
            self._select_row(row)  # loads the detail via currentRowChanged
        else:
            self._load_detail(order.id)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        order = self.model.row_at(current.row()) if current.isValid() else None
        if order is not None:
            self._load_detail(order.id)

    def _load_detail(self, order_id: int | None) -> None:
        if order_id is None or self._engine is None:
            return
        engine, fn = self._engine, self._detail_fn
        if self.detail.order_id != order_id:
            self.detail.show_loading()
        self._detail_id = order_id
        self._show_detail_area()
        self.detail_loads_issued += 1
        self._detail_loader.submit(order_id, lambda: fn(engine, order_id))

    def _on_detail(self, order_id: int, detail) -> None:
        if order_id != self._detail_id:
            return
        if detail is None:
            self.detail.show_missing()
            return
        self.detail.show_detail(detail)
        self.detail_shown.emit(order_id)

    def _on_detail_failed(self, order_id: int, exc: BaseException) -> None:
        if order_id != self._detail_id:
            return
        _log_failure("detail load", exc)
        row = next((r for r in self.model.rows() if r.id == order_id), None)
        name = row.order_no if row is not None else str(order_id)
        if is_cache_failure(exc):
            reason = self.tr("the local cache could not be read (%1)").replace("%1", error_detail(exc))
        else:
            reason = describe_error(exc)
        self.detail.show_error(self.tr("Could not load order %1: %2").replace("%1", name).replace("%2", reason))

    def _close_detail(self) -> None:
        self._detail_loader.cancel()
        self._detail_id = None
        self.detail.clear()
        self.detail.hide()

    def _show_detail_area(self) -> None:
        if not self.detail.isHidden():
            return
        self.detail.show()
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total > 0 and sizes[1] < self.detail.minimumSizeHint().width():
            self.splitter.setSizes([total * 3 // 5, total - total * 3 // 5])

    # info line --------------------------------------------------------------
    def _update_info(self) -> None:
        parts: list[str] = []
        if self._engine is None:
            parts.append(self.tr("Opening the local cache…"))
        elif self._shown_query is not None and self._shown_query == self.query():
            n = self.model.rowCount()
            if not self._shown_query:
                if n:
                    parts.append(self.tr("Newest %1 orders").replace("%1", str(n)))
                elif self._first_sync is not None:
                    parts.append(self.tr("First sync %1% — the orders are on their way").replace(
                        "%1", str(int(self._first_sync * 100))))
                    self._set_info(parts)
                    return
                else:
                    parts.append(self.tr("No orders in the local cache yet"))
            elif n == 0:
                parts.append(self.tr("No matching orders"))
            elif self._count is not None and (not self._count[1] or self._count[0] > n):
                total = f"{self._count[0]:,}"
                if self._count[1]:
                    text = self.tr("Newest %1 of %2 matches — scroll down for older ones")
                else:
                    text = self.tr("Newest %1 of more than %2 matches — scroll down for older ones, "
                                   "or type more to narrow down")
                parts.append(text.replace("%1", str(n)).replace("%2", total))
            elif self._more:
                parts.append(self.tr("Newest %1 matches (type more to narrow down)").replace("%1", str(n)))
            else:
                parts.append(self.tr("%1 matching orders").replace("%1", str(n)))
        if self._first_sync is not None and self._engine is not None:
            parts.append(self.tr("first sync %1% — results may be incomplete").replace(
                "%1", str(int(self._first_sync * 100))))
        elif self._last_synced is not None:
            parts.append(self.tr("as of %1").replace("%1", fmt.freshness(self._last_synced)))
        elif self._engine is not None:
            parts.append(self.tr("not synced yet"))
        self._set_info(parts)

    def _set_info(self, parts: list[str]) -> None:
        text = " · ".join(parts)
        if self._error:
            text = f"{self._error} · {text}" if text else self._error
        self.info.setText(text)
        self.info.setStyleSheet(f"color: {fmt.COD_COLOUR};" if self._error else "color: palette(mid);")


def _log_failure(what: str, exc: BaseException) -> None:
    if is_cache_failure(exc):
        log.warning("order %s failed: %s", what, exc)
    else:  # a bug: keep the traceback for support
        log.error("order %s failed", what, exc_info=(type(exc), exc, exc.__traceback__))
