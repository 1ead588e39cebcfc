"""The results table's model: one page of `OrderRow`s (never the whole cache), so it stays
fast with a million cached orders."""
from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from workstation.ui import formatting as fmt


class Column(IntEnum):
    ORDER_NO = 0
    BUYER_NICK = 1
    RECEIVER = 2
    PHONE = 3
    STATUS = 4
    FLAG = 5
    PAYMENT = 6
    AMOUNT = 7
    CREATED = 8
    SHIPPING = 9


_RIGHT_COLUMNS = frozenset({int(Column.AMOUNT), int(Column.CREATED)})

ORDER_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the order's id (int)
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the whole OrderRow
SORT_ROLE = Qt.ItemDataRole.UserRole + 3  # raw value for sorting (cents, datetime, ...)
IS_COD_ROLE = Qt.ItemDataRole.UserRole + 4  # bool

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT_INT, _LEFT_INT = int(_RIGHT), int(_LEFT)
_R = Qt.ItemDataRole
_DISPLAY, _ALIGNMENT, _ACCESSIBLE = int(_R.DisplayRole), int(_R.TextAlignmentRole), int(_R.AccessibleTextRole)
_FOREGROUND, _BACKGROUND, _FONT = int(_R.ForegroundRole), int(_R.BackgroundRole), int(_R.FontRole)
_DECORATION, _TOOLTIP = int(_R.DecorationRole), int(_R.ToolTipRole)


def column_title(column: Column) -> str:
    return {
        Column.ORDER_NO: QCoreApplication.translate("OrderTable", "Order no."),
        Column.BUYER_NICK: QCoreApplication.translate("OrderTable", "Buyer"),
        Column.RECEIVER: QCoreApplication.translate("OrderTable", "Receiver"),
        Column.PHONE: QCoreApplication.translate("OrderTable", "Phone"),
        Column.STATUS: QCoreApplication.translate("OrderTable", "Status"),
        Column.FLAG: QCoreApplication.translate("OrderTable", "Remark"),
        Column.PAYMENT: QCoreApplication.translate("OrderTable", "Payment"),
        Column.AMOUNT: QCoreApplication.translate("OrderTable", "Amount"),
        Column.CREATED: QCoreApplication.translate("OrderTable", "Created"),
        Column.SHIPPING: QCoreApplication.translate("OrderTable", "Carrier / tracking no."),
    }[column]


class OrderTableModel(QStandardItemModel):
    """A C++ item model filled once per result page.

    Every role of every cell is computed in `set_rows` and stored in Qt's own items, so a
    repaint of the table never calls into Python: the GUI thread paints without needing the
    GIL, which the sync threads hold most of the time during a first sync (a Python
    `data()`/`multiData()` entered once per cell made each repaint wait for the GIL hundreds of
    times, 30-50 ms per repaint instead of ~3 ms).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(Column), parent)
        self._rows: list = []
        self._bold = QFont()
        self._bold.setBold(True)
        horizontal = Qt.Orientation.Horizontal
        for column in Column:
            self.setHeaderData(column, horizontal, column_title(column), Qt.ItemDataRole.DisplayRole)
            self.setHeaderData(column, horizontal, _RIGHT_INT if column in _RIGHT_COLUMNS else _LEFT_INT,
                               Qt.ItemDataRole.TextAlignmentRole)

    # population ------------------------------------------------------------
    def update_rows(self, rows: Sequence) -> bool:
        """Take `rows` in place when they are the same orders in the same order (a sync
        changed some of them): only the changed rows' cells are rewritten, so selection,
        current row and scrolling stay. False (nothing done) when the orders differ."""
        if [r.id for r in rows] != [r.id for r in self._rows]:
            return False
        for r, (old, new) in enumerate(zip(self._rows, rows)):
            if old == new:
                continue
            self._rows[r] = new
            for column in Column:
                index = self.index(r, column)
                self.clearItemData(index)  # fresh roles: setItemData alone merges (see set_rows)
                self.setItemData(index, self._roles(new, column))
        return True

    def set_rows(self, rows: Sequence) -> None:
        # One reset for the whole page; the per-cell signals of the fill are not wanted.
        self.beginResetModel()
        blocked = self.blockSignals(True)
        try:
            self._rows = list(rows)
            # Fresh cells: setItemData merges roles, so a refilled cell would keep the previous
            # row's styling (a cash-on-delivery flag on an order paid online).
            self.setRowCount(0)
            self.setRowCount(len(self._rows))
            for r, order in enumerate(self._rows):
                for column in Column:
                    self.setItemData(self.index(r, column), self._roles(order, column))
        finally:
            self.blockSignals(blocked)
            self.endResetModel()

    def append_rows(self, rows: Sequence) -> None:
        """Older matches below the shown ones (the agent scrolled on): rows are inserted at
        the end, so selection, current row and scrolling stay."""
        if not rows:
            return
        first = len(self._rows)
        self._rows.extend(rows)
        self.insertRows(first, len(rows))
        for r, order in enumerate(rows, start=first):
            for column in Column:
                self.setItemData(self.index(r, column), self._roles(order, column))

    def clear(self) -> None:
        self.set_rows([])

    def row_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list:
        return list(self._rows)

    def _roles(self, order, column: Column) -> dict[int, object]:
        """Every role the views and callers read, for one cell (None values are left out)."""
        text = self._display(order, column)
        is_cod = order.payment_method == "cod"
        warn_cod = fmt.cod_needs_confirming(order.payment_method, order.status, order.remark)
        roles: dict[int, object] = {
            _DISPLAY: text,
            _ALIGNMENT: _RIGHT_INT if column in _RIGHT_COLUMNS else _LEFT_INT,
            _ACCESSIBLE: text,
            ORDER_ID_ROLE: order.id,
            ROW_ROLE: order,
            IS_COD_ROLE: is_cod,
            SORT_ROLE: self._sort_key(order, column, text),
        }
        if column == Column.STATUS:
            colour = fmt.status_colour(order.status)
            roles[_FOREGROUND] = QBrush(colour)
            roles[_DECORATION] = colour
        elif column == Column.FLAG and text:
            roles[_FOREGROUND] = QBrush(fmt.flag_colour(order.remark_flag))
        elif column == Column.PAYMENT and warn_cod:
            roles[_FOREGROUND] = QBrush(QColor(fmt.COD_COLOUR))
            roles[_BACKGROUND] = QBrush(QColor(fmt.COD_BACKGROUND))
            roles[_FONT] = self._bold
        tooltip = self._tooltip(order, column)
        if tooltip is not None:
            roles[_TOOLTIP] = tooltip
        return roles

    # helpers ---------------------------------------------------------------
    @staticmethod
    def _display(order, column: Column) -> str:
        if column == Column.ORDER_NO:
            return order.order_no
        if column == Column.BUYER_NICK:
            return order.buyer_nick or ""
        if column == Column.RECEIVER:
            return order.receiver_name or ""
        if column == Column.PHONE:
            return fmt.mask_phone(order.receiver_phone)
        if column == Column.STATUS:
            return fmt.status_label(order.status)
        if column == Column.FLAG:
            return f"■ {fmt.flag_label(order.remark_flag)}" if order.remark or order.remark_flag else ""
        if column == Column.PAYMENT:
            label = fmt.payment_label(order.payment_method, paid=fmt.is_paid(order.status, order.paid_at, order.payment_method))
            warn = fmt.cod_needs_confirming(order.payment_method, order.status, order.remark)
            return f"⚠ {label}" if warn else label
        if column == Column.AMOUNT:
            return fmt.money(order.total_cents)
        if column == Column.CREATED:
            return fmt.local_time(order.created_at)
        if column == Column.SHIPPING:
            if order.carrier and order.tracking_no:
                return f"{order.carrier} {order.tracking_no}"
            return order.carrier or order.tracking_no or ""
        return ""

    @staticmethod
    def _tooltip(order, column: Column) -> str | None:
        if column == Column.PAYMENT and fmt.cod_needs_confirming(order.payment_method, order.status, order.remark):
            return QCoreApplication.translate("OrderTable", "Cash on delivery: confirm the price with the buyer")
        if column == Column.FLAG and (order.remark or order.remark_flag):
            return order.remark or fmt.flag_label(order.remark_flag)
        if column == Column.RECEIVER:
            return fmt.address(order.province, order.city, order.district)
        return None

    @staticmethod
    def _sort_key(order, column: Column, text: str):
        if column == Column.AMOUNT:
            return order.total_cents
        if column == Column.CREATED:
            return order.created_at
        if column == Column.PHONE:
            return order.receiver_phone
        if column == Column.FLAG:
            return order.remark_flag
        return text


def order_view(parent: QWidget, model: OrderTableModel, name: str) -> QTableView:
    """A read-only table of orders (one row selected at a time, no row numbers): the lookup
    pane's results and the buyer's orders."""
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    return view
