"""The results table model on its own (no view): counts, display text, roles, alignment."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from workstation.models.search import OrderRow
from workstation.ui.order_table import IS_COD_ROLE, ORDER_ID_ROLE, ROW_ROLE, SORT_ROLE, Column, OrderTableModel


def _row(i: int, *, payment="online", status="paid", carrier=None, tracking=None, remark="", flag=0) -> OrderRow:
    return OrderRow(id=i, order_no=f"20261111{i:010d}", buyer_nick=f"nick{i}", receiver_name="王芳",
                    receiver_phone="13812345678", status=status, payment_method=payment,
                    total_cents=12345, created_at=datetime(2026, 11, 11, 2, 13, tzinfo=timezone.utc),
                    carrier=carrier, tracking_no=tracking, province="浙江省", city="杭州市", district="西湖区",
                    remark=remark, remark_flag=flag)


def test_counts_follow_the_rows(qapp):
    model = OrderTableModel()
    assert model.rowCount() == 0
    assert model.columnCount() == len(Column)
    model.set_rows([_row(1), _row(2), _row(3)])
    assert model.rowCount() == 3
    model.clear()
    assert model.rowCount() == 0


def test_display_text_and_custom_roles(qapp):
    model = OrderTableModel()
    model.set_rows([_row(7, carrier="顺丰速运", tracking="SF123")])
    idx = lambda c: model.index(0, c)  # noqa: E731
    assert model.data(idx(Column.ORDER_NO)) == "202611110000000007"
    assert model.data(idx(Column.PHONE)) == "138****5678"  # masked in the list
    assert model.data(idx(Column.AMOUNT)) == "¥123.45"
    assert model.data(idx(Column.SHIPPING)) == "顺丰速运 SF123"
    created = datetime(2026, 11, 11, 2, 13, tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")
    assert model.data(idx(Column.CREATED)) == created  # local time
    assert model.data(idx(Column.ORDER_NO), ORDER_ID_ROLE) == 7
    assert model.data(idx(Column.ORDER_NO), ROW_ROLE).order_no == "202611110000000007"
    assert model.data(idx(Column.AMOUNT), SORT_ROLE) == 12345


def test_numbers_and_times_are_right_aligned(qapp):
    model = OrderTableModel()
    model.set_rows([_row(1)])
    right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    for column in (Column.AMOUNT, Column.CREATED):
        assert model.data(model.index(0, column), Qt.ItemDataRole.TextAlignmentRole) == right
        assert model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.TextAlignmentRole) == right
    assert model.data(model.index(0, Column.BUYER_NICK), Qt.ItemDataRole.TextAlignmentRole) != right


def test_status_has_text_and_colour(qapp):
    model = OrderTableModel()
    model.set_rows([_row(1, status="refunding")])
    index = model.index(0, Column.STATUS)
    assert model.data(index) == "Refunding"
    assert isinstance(model.data(index, Qt.ItemDataRole.ForegroundRole), QBrush)


def test_cash_on_delivery_is_flagged_with_text_and_colour(qapp):
    model = OrderTableModel()
    model.set_rows([_row(1, payment="cod"), _row(2)])
    cod, online = model.index(0, Column.PAYMENT), model.index(1, Column.PAYMENT)
    assert "Cash on delivery" in model.data(cod)
    assert model.data(cod, IS_COD_ROLE) is True
    assert model.data(cod, Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(cod, Qt.ItemDataRole.FontRole).bold()
    assert model.data(online) == "Paid online"
    assert model.data(online, Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(online, IS_COD_ROLE) is False


def test_a_new_page_carries_no_styling_of_the_previous_one(qapp):
    # Seen in the demo: a cash-on-delivery row's red flag stayed on the online-paid order that
    # took its place in the next page (the refill merged roles into the old cells).
    model = OrderTableModel()
    model.set_rows([_row(1, payment="cod", status="unpaid"), _row(2, payment="cod")])
    model.set_rows([_row(3), _row(4)])
    fresh = OrderTableModel()
    fresh.set_rows([_row(3), _row(4)])
    for r in range(2):
        payment = model.index(r, Column.PAYMENT)
        assert model.data(payment) == "Paid online"
        assert model.data(payment, IS_COD_ROLE) is False
        assert model.data(payment, Qt.ItemDataRole.BackgroundRole) is None
        assert model.data(payment, Qt.ItemDataRole.FontRole) is None
        assert model.data(payment, Qt.ItemDataRole.ForegroundRole) is None
        for column in Column:  # every role of every cell as a model that never held COD rows
            assert model.itemData(model.index(r, column)).keys() == fresh.itemData(fresh.index(r, column)).keys()
    assert model.data(model.index(0, Column.ORDER_NO), ORDER_ID_ROLE) == 3


def test_headers_are_translatable_text(qapp):
    model = OrderTableModel()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert titles[0] == "Order no." and all(titles)
    assert model.headerData(0, Qt.Orientation.Vertical) is None


def test_flagged_orders_stand_out_with_flag_colour_text_and_the_remark(qapp):
    model = OrderTableModel()
    model.set_rows([_row(1, remark="换货：M码缺货，改发L码", flag=1), _row(2), _row(3, remark="地址已核对")])
    flagged, plain, grey = (model.index(r, Column.FLAG) for r in range(3))
    assert model.data(flagged) == "■ Red flag"
    assert model.data(flagged, Qt.ItemDataRole.ForegroundRole).color().name() == "#d32f2f"
    assert model.data(flagged, Qt.ItemDataRole.ToolTipRole) == "换货：M码缺货，改发L码"
    assert model.data(plain) == "" and model.data(plain, Qt.ItemDataRole.ToolTipRole) is None
    assert model.data(grey) == "■ Grey flag"  # a remark without a colour still shows
    assert model.data(flagged, SORT_ROLE) == 1


def test_changed_rows_are_taken_in_place_and_other_rows_are_not(qapp):
    model = OrderTableModel()
    model.set_rows([_row(1, payment="cod"), _row(2), _row(3)])
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda top, bottom, roles: changed.append(top.row()))
    assert model.update_rows([_row(1, payment="cod", status="completed"), _row(2), _row(3, flag=3)])
    assert resets == [] and set(changed) == {0, 2}
    payment = model.index(0, Column.PAYMENT)
    assert model.data(payment) == "Cash on delivery"  # completed: no warning left ...
    assert model.data(payment, Qt.ItemDataRole.BackgroundRole) is None  # ... and no stale styling
    assert model.data(model.index(2, Column.FLAG)) == "■ Green flag"
    assert not model.update_rows([_row(3), _row(2), _row(1)])  # other order: the caller resets
