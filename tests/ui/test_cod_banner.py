"""The cash-on-delivery banner shows only where confirming the price still matters, and an
unpaid order never reads as paid (details read from a real cache file)."""
from __future__ import annotations

import pytest

from tests.ui.helpers import make_order
from workstation.models.apply import apply_snapshot_page
from workstation.models.db import open_cache
from workstation.models.search import get_order_detail, search_orders
from workstation.ui import formatting as fmt
from workstation.ui.order_detail import OrderDetailView
from workstation.ui.order_table import Column, OrderTableModel

OPEN = {"paid_at": None, "completed_at": None}


@pytest.fixture
def orders(tmp_path):
    """Order id -> what it is; all in one real cache."""
    specs = {
        1: dict(payment_method="cod", status="paid", remark="", **OPEN),
        2: dict(payment_method="cod", status="completed", paid_at="2026-11-14T02:00:00Z"),
        3: dict(payment_method="cod", status="closed", **OPEN),
        4: dict(payment_method="cod", status="refunded", **OPEN),
        5: dict(payment_method="cod", status="shipped", remark="货到付款已电话确认", **OPEN),
        6: dict(payment_method="cod", status="documents_made", remark="已和买家确认颜色", **OPEN),
        7: dict(payment_method="online", status="unpaid", remark="", **OPEN),
        8: dict(payment_method="online", status="paid", paid_at="2026-11-11T02:14:00Z"),
    }
    cache = open_cache(tmp_path / "cache.sqlite")
    items = [make_order(i, **over) for i, over in sorted(specs.items(), reverse=True)]
    apply_snapshot_page(cache.engine, "orders", items, next_cursor=None, done=True,
                        feed_cursor="feed-0", total=len(items))
    yield cache.engine
    cache.close()


@pytest.fixture
def view(qtbot):
    v = OrderDetailView()
    qtbot.addWidget(v)
    v.resize(520, 700)
    v.show()
    return v


def _show(view, engine, order_id):
    view.show_detail(get_order_detail(engine, order_id))
    return view


@pytest.mark.parametrize("order_id, banner", [
    (1, True),  # paid, not shipped yet, nothing in the remark: confirm with the buyer
    (2, False),  # completed: delivered and paid
    (3, False),  # closed
    (4, False),  # refunded
    (5, False),  # the remark says the COD price was confirmed by phone
    (6, True),  # a remark about something else does not count
    (8, False),  # paid online
])
def test_the_cod_banner_only_where_confirming_matters(view, orders, order_id, banner):
    _show(view, orders, order_id)
    assert view.cod_badge.isVisible() is banner


def test_the_results_list_flags_cod_like_the_banner(qapp, orders):
    model = OrderTableModel()
    model.set_rows(sorted(search_orders(orders, "浙江"), key=lambda r: r.id))
    flagged = {model.row_at(r).id for r in range(model.rowCount())
               if model.data(model.index(r, Column.PAYMENT)).startswith("⚠")}
    assert flagged == {1, 6}


@pytest.mark.parametrize("remark", [
    "已确认货到付款", "货到付款已确认，周六送", "货到付款 已电话确认", "已电话确认到付价格", "到付已确认",
    "COD confirmed by phone", "cod  Confirmed",
])
def test_remark_wordings_that_confirm_cod(remark):
    assert fmt.cod_confirmed_in(remark)
    assert not fmt.cod_needs_confirming("cod", "paid", remark)


@pytest.mark.parametrize("remark", ["", "催发货，已加急", "货到付款未确认", "买家说要确认一下", None])
def test_remarks_that_do_not_confirm_cod(remark):
    assert not fmt.cod_confirmed_in(remark)
    assert fmt.cod_needs_confirming("cod", "shipped", remark)


def test_every_confirming_phrase_is_recognised_on_its_own():
    for phrase in fmt.COD_CONFIRMED_PHRASES:
        assert fmt.cod_confirmed_in(phrase), phrase


def test_an_unpaid_order_is_not_labelled_as_paid(view, orders):
    _show(view, orders, 7)
    form = view.payment_form
    assert form.labelForField(view.total).text() == "Amount due"
    assert view.payment.text() == "Online, not paid yet"
    assert view.paid.text() == "—"
    _show(view, orders, 8)
    assert form.labelForField(view.total).text() == "Amount paid"
    assert view.payment.text() == "Paid online"
    _show(view, orders, 1)  # COD, not delivered yet
    assert form.labelForField(view.total).text() == "To collect on delivery"


def test_an_unpaid_order_in_the_list_does_not_say_paid_online(qapp, orders):
    model = OrderTableModel()
    model.set_rows(search_orders(orders, "浙江"))
    payment = {model.row_at(r).id: model.data(model.index(r, Column.PAYMENT)) for r in range(model.rowCount())}
    assert payment[7] == "Online, not paid yet"
    assert payment[8] == "Paid online"
