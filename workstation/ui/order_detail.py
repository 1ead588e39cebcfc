"""The order detail view (read-only for now): status, payment with a prominent COD flag,
amounts, receiver and address, shipping, times, lines, the current remark, the buyer."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QScrollArea, QSizePolicy, QTableView, QVBoxLayout, QWidget)

from workstation.ui import formatting as fmt
from workstation.ui.remark_section import RemarkSection

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _get(obj, name, default=None):
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


class OrderLinesModel(QAbstractTableModel):
    """Lines of one order: style, product, colour, size, qty, unit price, subtotal."""

    COLUMNS = ("style_no", "product_name", "colour", "size", "qty", "unit_price", "subtotal")
    NUMERIC = {"qty", "unit_price", "subtotal"}

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._lines: list = []

    def set_lines(self, lines) -> None:
        self.beginResetModel()
        self._lines = list(lines or [])
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        key = self.COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                "style_no": QCoreApplication.translate("OrderLines", "Style"),
                "product_name": QCoreApplication.translate("OrderLines", "Product"),
                "colour": QCoreApplication.translate("OrderLines", "Colour"),
                "size": QCoreApplication.translate("OrderLines", "Size"),
                "qty": QCoreApplication.translate("OrderLines", "Qty"),
                "unit_price": QCoreApplication.translate("OrderLines", "Price"),
                "subtotal": QCoreApplication.translate("OrderLines", "Subtotal"),
            }[key]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if key in self.NUMERIC else _LEFT)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        line = self._lines[index.row()]
        key = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            qty = int(_get(line, "qty", 0) or 0)
            price = int(_get(line, "unit_price_cents", 0) or 0)
            if key == "qty":
                return str(qty)
            if key == "unit_price":
                return fmt.money(price)
            if key == "subtotal":
                return fmt.money(qty * price)
            return str(_get(line, key, "") or "")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if key in self.NUMERIC else _LEFT)
        return None


class _Value(QLabel):
    """A selectable value label: agents copy order numbers, phones and tracking numbers."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)


class _Badge(QLabel):
    """Coloured text badge (the colour never carries meaning alone: the text says it)."""

    def set_badge(self, text: str, colour: str, background: str | None = None, *, bold: bool = False) -> None:
        self.setText(text)
        bg = background or "transparent"
        weight = "bold" if bold else "normal"
        border = colour if background else "transparent"
        self.setStyleSheet(f"QLabel {{ color: {colour}; background: {bg}; border: 1px solid {border};"
                           f" border-radius: 3px; padding: 1px 6px; font-weight: {weight}; }}")
        self.setVisible(bool(text))


class OrderDetailView(QWidget):
    """Shows one `OrderDetail`. `closed` is emitted when the agent presses Esc here."""

    closed = Signal()
    check_stock_requested = Signal(int)  # order id: the stock pane checks all its lines

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._detail = None
        self._build()
        self.clear()

    # public ----------------------------------------------------------------
    @property
    def detail(self):
        return self._detail

    def is_showing(self) -> bool:
        return self._detail is not None

    @property
    def order_id(self) -> int | None:
        """The id of the order shown, None when none is."""
        return _get(self._detail, "id") if self._detail is not None else None

    @property
    def buyer_id(self) -> int | None:
        """The buyer of the order shown, None when none is."""
        return _get(self._detail, "buyer_id") if self._detail is not None else None

    def placeholder_text(self) -> str:
        """What the pane says instead of an order ("" while an order is shown)."""
        return "" if self._placeholder.isHidden() else self._placeholder.text()

    def show_loading(self) -> None:
        self._placeholder.setText(self.tr("Loading order…"))
        self._placeholder.show()

    def show_missing(self) -> None:
        self._detail = None
        self._content.hide()
        self._placeholder.setText(self.tr("This order is no longer in the local cache."))
        self._placeholder.show()

    def show_error(self, text: str) -> None:
        """A load failed: say what failed instead of showing a stale or empty order."""
        self._detail = None
        self._content.hide()
        self._placeholder.setText(text)
        self._placeholder.show()

    def clear(self) -> None:
        self._detail = None
        self._content.hide()
        self._placeholder.setText(self.tr("Open an order to see its details here (Enter)."))
        self._placeholder.show()

    def show_detail(self, d) -> None:
        self._detail = d
        status = _get(d, "status", "")
        self.order_no.setText(_get(d, "order_no", ""))
        self.status_badge.set_badge("● " + fmt.status_label(status), fmt.STATUS_COLOURS.get(status, "#6d6d6d"))
        method, remark = _get(d, "payment_method", ""), _get(d, "remark", "") or ""
        if fmt.cod_needs_confirming(method, status, remark):
            self.cod_badge.set_badge(self.tr("⚠ CASH ON DELIVERY: confirm the price with the buyer"),
                                     "#ffffff", fmt.COD_COLOUR, bold=True)
        else:
            self.cod_badge.set_badge("", "#000000")
        paid = fmt.is_paid(status, _get(d, "paid_at"), method)
        self.payment.setText(fmt.payment_label(method, paid=paid))
        self.payment.setStyleSheet(f"color: {fmt.COD_COLOUR}; font-weight: bold;" if method == "cod" else "")

        self.payment_form.labelForField(self.total).setText(fmt.amount_label(method, paid))
        self.total.setText(fmt.money(_get(d, "total_cents")))
        self.shipping_fee.setText(fmt.money(_get(d, "shipping_cents")))
        self.discount.setText(fmt.money(_get(d, "discount_cents")))

        self.receiver.setText(_get(d, "receiver_name", "") or "")
        self.phone.setText(_get(d, "receiver_phone", "") or "")
        self.address.setText(fmt.address(_get(d, "province"), _get(d, "city"), _get(d, "district"),
                                         _get(d, "address_detail")))
        self.carrier.setText(_get(d, "carrier") or self.tr("Not shipped yet"))
        self.tracking.setText(_get(d, "tracking_no") or "—")

        self.created.setText(fmt.local_time(_get(d, "created_at")) or "—")
        self.paid.setText(fmt.local_time(_get(d, "paid_at")) or "—")
        self.shipped.setText(fmt.local_time(_get(d, "shipped_at")) or "—")

        self.lines_model.set_lines(_get(d, "lines", []))
        self._fit_lines_table()

        self.remark.show_remark(int(_get(d, "id", 0) or 0), _get(d, "remark", "") or "",
                                int(_get(d, "remark_flag", 0) or 0), _get(d, "remark_by"),
                                _get(d, "remark_at"), _get(d, "remark_version"))

        self.buyer_nick.setText(_get(d, "buyer_nick", "") or "")
        level = _get(d, "buyer_member_level", _get(d, "member_level"))
        self.member.setText(fmt.member_label(level))
        self.member.setStyleSheet("color: #a0522d; font-weight: bold;" if level == "vip" else "")
        first = _get(d, "buyer_first_order_at", _get(d, "first_order_at"))
        self.first_order.setText(fmt.local_time(first) if first else "—")

        self._placeholder.hide()
        self._content.show()

    # build -----------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel(self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setStyleSheet("color: palette(mid);")
        outer.addWidget(self._placeholder)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._content = scroll
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        col = QVBoxLayout(body)
        col.setContentsMargins(8, 6, 8, 6)
        col.setSpacing(6)

        head = QHBoxLayout()
        self.order_no = _Value(body)
        font = self.order_no.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.order_no.setFont(font)
        self.order_no.setWordWrap(False)
        self.status_badge = _Badge(body)
        head.addWidget(self.order_no)
        head.addWidget(self.status_badge)
        head.addStretch(1)
        col.addLayout(head)

        self.cod_badge = _Badge(body)
        self.cod_badge.setObjectName("codFlag")
        self.cod_badge.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        col.addWidget(self.cod_badge)

        pay = self._group(col, self.tr("Payment"))
        self.payment, self.total, self.shipping_fee, self.discount = (_Value(body) for _ in range(4))
        for w in (self.total, self.shipping_fee, self.discount):
            w.setAlignment(_LEFT)
        pay.addRow(self.tr("Payment method"), self.payment)
        pay.addRow(fmt.amount_label("online", True), self.total)  # relabelled per order
        self.payment_form = pay
        pay.addRow(self.tr("Shipping fee"), self.shipping_fee)
        pay.addRow(self.tr("Discount"), self.discount)

        recv = self._group(col, self.tr("Receiver"))
        self.receiver, self.phone, self.address = (_Value(body) for _ in range(3))
        recv.addRow(self.tr("Name"), self.receiver)
        recv.addRow(self.tr("Phone"), self.phone)
        recv.addRow(self.tr("Address"), self.address)

        ship = self._group(col, self.tr("Shipping"))
        self.carrier, self.tracking = _Value(body), _Value(body)
        ship.addRow(self.tr("Carrier"), self.carrier)
        ship.addRow(self.tr("Tracking no."), self.tracking)

        times = self._group(col, self.tr("Times"))
        self.created, self.paid, self.shipped = (_Value(body) for _ in range(3))
        times.addRow(self.tr("Created"), self.created)
        times.addRow(self.tr("Paid"), self.paid)
        times.addRow(self.tr("Shipped"), self.shipped)

        lines_box = QGroupBox(self.tr("Items"), body)
        lines_layout = QVBoxLayout(lines_box)
        lines_layout.setContentsMargins(6, 4, 6, 6)
        self.lines_model = OrderLinesModel(self)
        self.lines_table = QTableView(lines_box)
        self.lines_table.setModel(self.lines_model)
        self.lines_table.verticalHeader().hide()
        self.lines_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lines_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lines_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.lines_table.horizontalHeader().setStretchLastSection(False)
        self.lines_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.lines_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        lines_layout.addWidget(self.lines_table)
        self.check_stock_button = QPushButton(self.tr("Check stock of all lines (Ctrl+Shift+K)"), lines_box)
        self.check_stock_button.setObjectName("checkStock")
        self.check_stock_button.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.check_stock_button.clicked.connect(
            lambda: self.order_id is not None and self.check_stock_requested.emit(self.order_id))
        lines_layout.addWidget(self.check_stock_button, 0, Qt.AlignmentFlag.AlignLeft)
        col.addWidget(lines_box)

        self.remark = RemarkSection(body)
        self.remark.setObjectName("remarkSection")
        # The names the rest of the pane (and its tests) read the current remark by.
        self.remark_flag, self.remark_meta, self.remark_text = self.remark.flag, self.remark.meta, self.remark.text
        col.addWidget(self.remark)

        buyer = self._group(col, self.tr("Buyer"))
        self.buyer_nick, self.member, self.first_order = (_Value(body) for _ in range(3))
        buyer.addRow(self.tr("Nickname"), self.buyer_nick)
        buyer.addRow(self.tr("Member level"), self.member)
        buyer.addRow(self.tr("First order"), self.first_order)
        col.addStretch(1)

    def _group(self, column: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setContentsMargins(6, 4, 6, 6)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(2)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        column.addWidget(box)
        return form

    def _fit_lines_table(self) -> None:
        rows = max(1, self.lines_model.rowCount())
        height = (self.lines_table.horizontalHeader().sizeHint().height()
                  + rows * self.lines_table.verticalHeader().defaultSectionSize() + 4)
        self.lines_table.setFixedHeight(height)

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Cancel) or event.key() == Qt.Key.Key_Escape:
            self.closed.emit()
            return
        super().keyPressEvent(event)
