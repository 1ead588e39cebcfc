"""The context area's "Buyer" tab: the open conversation's buyer and their orders, newest
first (`models.conversations.buyer_orders`, one indexed query off the GUI thread). Enter or
a click opens the order in the order tab's detail, with its remark editor."""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workstation.ui.order_table import Column, OrderTableModel, order_view
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)


def _default_buyer_orders(engine, buyer_id: int):
    from workstation.models import conversations  # noqa: PLC0415 (lazy: SQLAlchemy)

    return conversations.buyer_orders(engine, buyer_id)


class BuyerOrdersPane(QWidget):
    order_requested = Signal(int)  # the agent opened this order
    orders_shown = Signal(object, int)  # buyer id, number of orders

    def __init__(self, parent: QWidget | None = None, *, orders_fn: Callable | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("buyerOrdersPane")
        self._orders_fn = orders_fn or _default_buyer_orders
        self._engine = None
        self._buyer_id: int | None = None
        self._reader = LatestOnly(self, name="buyer-orders")
        self._reader.finished.connect(self._on_orders)
        self._reader.failed.connect(self._on_failed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        self.info = QLabel(self)
        self.info.setObjectName("buyerOrdersInfo")
        layout.addWidget(self.info)
        self.model = OrderTableModel(self)
        self.table = order_view(self, self.model, "buyerOrders")
        for column in (Column.BUYER_NICK, Column.RECEIVER, Column.PHONE):
            self.table.setColumnHidden(column, True)  # the same buyer on every row
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip(self.tr("Enter or a click opens the order, with its remark"))
        self.table.activated.connect(self._open_row)
        self.table.clicked.connect(self._open_row)
        layout.addWidget(self.table, 1)
        self._update_info()

    @property
    def buyer_id(self) -> int | None:
        return self._buyer_id

    def set_engine(self, engine) -> None:
        self._reader.cancel()
        self._engine = engine
        if engine is None:
            self.model.clear()
        self._refresh()

    def show_buyer(self, buyer_id: int | None) -> None:
        if buyer_id == self._buyer_id:
            return
        self._buyer_id = buyer_id
        self.model.clear()
        self._refresh()

    def on_orders_changed(self, change) -> None:
        if self._buyer_id is None or not change:
            return
        shown = [r.id for r in self.model.rows()]
        if change.inserted or change.touches(shown):  # a new order may be this buyer's
            self._refresh()

    def shutdown(self) -> None:
        self._reader.shutdown()

    def _refresh(self) -> None:
        engine, buyer_id, fn = self._engine, self._buyer_id, self._orders_fn
        self._update_info()
        if engine is None or buyer_id is None:
            return
        self._reader.submit((engine, buyer_id), lambda: fn(engine, buyer_id))

    def _on_orders(self, request, rows) -> None:
        engine, buyer_id = request
        if engine is not self._engine or buyer_id != self._buyer_id:
            return
        if not self.model.update_rows(rows):
            self.model.set_rows(rows)
        self._update_info()
        self.orders_shown.emit(buyer_id, len(rows))

    def _on_failed(self, _request, exc: BaseException) -> None:
        log.warning("the buyer's orders could not be read: %s", exc)
        self.info.setText(self.tr("The buyer's orders could not be read: %1").replace("%1", str(exc)))

    def _open_row(self, index) -> None:
        order = self.model.row_at(index.row())
        if order is not None:
            self.order_requested.emit(order.id)

    def _update_info(self) -> None:
        rows = self.model.rows()
        if self._buyer_id is None:
            self.info.setText(self.tr("Open a conversation to see the buyer's orders"))
        elif rows:
            self.info.setText(self.tr("%1 · %2 orders, newest first").replace(
                "%1", rows[0].buyer_nick or "").replace("%2", str(len(rows))))
        else:
            self.info.setText(self.tr("No cached orders of this buyer"))
