"""The results table's model: one page of `OrderRow`s (never the whole cache), so it stays
fast with a million cached orders."""
from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from workstation.ui import formatting as fmt



class Column(IntEnum):
    ORDER_NO = 0
    BUYER_NICK = 1
    RECEIVER = 2
    PHONE = 3
    STATUS = 4
    PAYMENT = 5
    AMOUNT = 6
    CREATED = 7
    SHIPPING = 8


_RIGHT_COLUMNS = frozenset({int(Column.AMOUNT), int(Column.CREATED)})

ORDER_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the order's id (int)
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the whole OrderRow
SORT_ROLE = Qt.ItemDataRole.UserRole + 3  # raw value for sorting (cents, datetime, ...)
IS_COD_ROLE = Qt.ItemDataRole.UserRole + 4  # bool

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT_INT, _LEFT_INT = int(_RIGHT), int(_LEFT)


def column_title(column: Column) -> str:
    return {
        Column.ORDER_NO: QCoreApplication.translate("OrderTable", "Order no."),
        Column.BUYER_NICK: QCoreApplication.translate("OrderTable", "Buyer"),
        Column.RECEIVER: QCoreApplication.translate("OrderTable", "Receiver"),
        Column.PHONE: QCoreApplication.translate("OrderTable", "Phone"),
        Column.STATUS: QCoreApplication.translate("OrderTable", "Status"),
        Column.PAYMENT: QCoreApplication.translate("OrderTable", "Payment"),
        Column.AMOUNT: QCoreApplication.translate("OrderTable", "Amount"),
        Column.CREATED: QCoreApplication.translate("OrderTable", "Created"),
        Column.SHIPPING: QCoreApplication.translate("OrderTable", "Carrier / tracking no."),
    }[column]


class OrderTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list = []
        self._text: list[tuple[str, ...]] = []
        self._bold = QFont()
        self._bold.setBold(True)

    # population ------------------------------------------------------------
    def set_rows(self, rows: Sequence) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        # Formatted once per result page: views call data() thousands of times per repaint,
        # and the GUI thread shares the interpreter with the sync worker.
        self._text = [tuple(self._display(order, c) for c in Column) for order in self._rows]
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list:
        return list(self._rows)

    # Qt model API ----------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column_title(Column(section))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if section in (Column.AMOUNT, Column.CREATED) else _LEFT)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text[row][col]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT_INT if col in _RIGHT_COLUMNS else _LEFT_INT
        order = self._rows[row]
        column = Column(col)
        is_cod = order.payment_method == "cod"
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == Column.STATUS:
                return QBrush(fmt.status_colour(order.status))
            if column == Column.PAYMENT and is_cod:
                return QBrush(QColor(fmt.COD_COLOUR))
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if column == Column.PAYMENT and is_cod:
                return QBrush(QColor(fmt.COD_BACKGROUND))
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if column == Column.PAYMENT and is_cod else None
        if role == Qt.ItemDataRole.DecorationRole and column == Column.STATUS:
            return fmt.status_colour(order.status)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(order, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text[row][col]
        if role == ORDER_ID_ROLE:
            return order.id
        if role == ROW_ROLE:
            return order
        if role == IS_COD_ROLE:
            return is_cod
        if role == SORT_ROLE:
            return self._sort_key(order, column)
        return None

    def multiData(self, index, roleDataSpan) -> None:
        """All roles of a cell in one call: a repaint then enters Python once per cell instead
        of once per role (7x fewer GIL hand-overs while the sync thread is busy)."""
        if not index.isValid():
            return
        for i in range(len(roleDataSpan)):
            role_data = roleDataSpan[i]
            value = self.data(index, role_data.role())
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

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
        if column == Column.PAYMENT:
            label = fmt.payment_label(order.payment_method)
            return f"⚠ {label}" if order.payment_method == "cod" else label
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
        if column == Column.PAYMENT and order.payment_method == "cod":
            return QCoreApplication.translate("OrderTable", "Cash on delivery: confirm the price with the buyer")
        if column == Column.RECEIVER:
            return fmt.address(order.province, order.city, order.district)
        return None

    @staticmethod
    def _sort_key(order, column: Column):
        if column == Column.AMOUNT:
            return order.total_cents
        if column == Column.CREATED:
            return order.created_at
        if column == Column.PHONE:
            return order.receiver_phone
        return OrderTableModel._display(order, column)
