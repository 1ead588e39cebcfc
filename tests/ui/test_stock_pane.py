"""The stock pane over a real cache file, offscreen: search (also Chinese through an input
method, and pinyin initials), the grid, substitutes, an order's lines at once, the keyboard
path, and refreshes only for what is shown."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from tests.stock_data import make_order_with_lines, set_stock, small_shop, stock_id
from tests.ui.helpers import type_chinese
from workstation.models.apply import apply_changes, apply_snapshot_page
from workstation.models.changes import StreamChange
from workstation.ui.stock_models import CELL_ROLE, SKU_ROLE, STATE_ROLE, Figure
from workstation.ui.stock_pane import StockPane


@pytest.fixture
def cache(tmp_path):
    c = small_shop(tmp_path / "cache.sqlite")
    yield c
    c.close()


@pytest.fixture
def host(qtbot, cache):
    """A window with another focusable widget (the agent is elsewhere) and the pane."""
    window = QWidget()
    layout = QVBoxLayout(window)
    elsewhere = QLineEdit(window)
    elsewhere.setObjectName("elsewhere")
    pane = StockPane(window, debounce_ms=10)
    layout.addWidget(elsewhere)
    layout.addWidget(pane)
    pane.install_shortcut(window)
    qtbot.addWidget(window)
    window.resize(700, 900)
    window.show()
    qtbot.waitExposed(window)
    pane.set_engine(cache.engine)
    yield window, elsewhere, pane
    pane.shutdown()


@pytest.fixture
def pane(host):
    return host[2]


def _search(qtbot, pane, text, *, chinese=False):
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=lambda q, n: q == text.strip()):
        if chinese:
            pane.search_field.clear()
            type_chinese(pane.search_field, text)
        else:
            pane.search_field.setText(text)
    return [pane.results.match_at(r).style_no for r in range(pane.results.rowCount())]


def _open_top(qtbot, pane):
    with qtbot.waitSignal(pane.style_shown, timeout=5000):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)


def _current_cell(pane):
    return pane.grid.data(pane.grid_table.currentIndex(), CELL_ROLE)


def test_search_by_style_no_outer_id_and_colour_size(qtbot, pane):
    assert _search(qtbot, pane, "A1023") == ["A1023"]
    assert _search(qtbot, pane, "A1023-W-L") == ["A1023"]
    assert _search(qtbot, pane, "白色 L") == ["A1023", "A2088"]
    assert _search(qtbot, pane, "nothing-like-this") == []
    assert "No matching styles" in pane.info.text()


def test_chinese_typed_through_an_input_method(qtbot, pane):
    assert _search(qtbot, pane, "连衣裙", chinese=True) == ["B3001"]
    assert pane.search_field.text() == "连衣裙"


def test_pinyin_initials(qtbot, pane):
    qtbot.keyClicks(pane.search_field, "cmyl")
    qtbot.waitUntil(lambda: pane.results.rowCount() == 1, timeout=5000)
    assert pane.results.match_at(0).style_no == "A1023"


def test_two_keystrokes_from_anywhere_to_a_skus_real_stock(qtbot, host):
    window, elsewhere, pane = host
    elsewhere.setFocus()
    qtbot.waitUntil(elsewhere.hasFocus)
    qtbot.keyClick(elsewhere, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert pane.search_field.hasFocus()  # keystroke 1
    qtbot.keyClicks(pane.search_field, "A1023-K-M")  # what the buyer asked about
    with qtbot.waitSignal(pane.style_shown, timeout=5000):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)  # keystroke 2 (even before the results came)
    cell = _current_cell(pane)
    assert (cell.sku_id, cell.warehouse_id) == (5, 1)
    assert pane.grid_table.hasFocus()
    assert pane.grid.data(pane.grid.index_of(5, 1, Figure.REAL)) == "3"  # the real stock, on screen
    assert pane.grid.data(pane.grid.index_of(5, 2, Figure.REAL)) == "0"
    assert "real 3, reserved 4, available -1" in pane.cell_detail.text()


def test_the_grid_with_highlights_and_freshness(qtbot, pane):
    _search(qtbot, pane, "A1023")
    _open_top(qtbot, pane)
    assert pane.style_title.text().startswith("A1023 · 纯棉圆领T恤 · T恤")
    assert pane.grid.data(pane.grid.index_of(1, 1)) == "9"
    oversold = pane.grid.index_of(5, 1)
    assert pane.grid.data(oversold) == "✕ -1" and pane.grid.data(oversold, STATE_ROLE) == "out"
    assert "as of " in pane.info.text()


def test_an_out_of_stock_cell_shows_substitutes_and_enter_opens_one(qtbot, pane):
    _search(qtbot, pane, "A1023-W-L")
    with qtbot.waitSignal(pane.substitutes_shown, timeout=5000):
        _open_top(qtbot, pane)
    texts = [pane.substitutes.item(i).text() for i in range(pane.substitutes.count())]
    assert texts[0] == "Same style: 白色 M — 2 available (广州仓)"
    assert any(t.startswith("Similar: A2088 宽松短袖T恤 白色 L — 13 available") for t in texts)
    assert pane.substitutes.isVisible()
    qtbot.keyClick(pane.grid_table, Qt.Key.Key_Return)  # to the substitutes
    assert pane.substitutes.hasFocus()
    similar_row = next(i for i, t in enumerate(texts) if t.startswith("Similar"))
    pane.substitutes.setCurrentRow(similar_row)
    with qtbot.waitSignal(pane.style_shown, timeout=5000):
        qtbot.keyClick(pane.substitutes, Qt.Key.Key_Return)
    assert pane.grid.style.style_no == "A2088"
    assert _current_cell(pane).sku_id == 10
    assert not pane.substitutes.isVisible()  # A2088 白色 L is in stock


def test_check_all_lines_of_an_order_at_once(qtbot, pane, cache):
    order = make_order_with_lines(41, status="shipped", lines=[(1, 2), (3, 1), (5, 1)])
    apply_snapshot_page(cache.engine, "orders", [order], next_cursor=None, done=True, feed_cursor="f", total=1)
    with qtbot.waitSignal(pane.check_shown, timeout=5000):
        pane.check_order(41)
    assert pane.check_table.isVisible()
    model = pane.check_model
    assert [model.data(model.index(r, 5)) for r in range(3)] == ["✓ in stock", "✕ short by 1", "✕ short by 1"]
    assert pane.check_title.text() == "Stock of the order's lines: ✕ 2 of 3 lines cannot ship in full"
    assert pane.check_table.hasFocus()
    pane.check_table.setCurrentIndex(model.index(1, 0))
    with qtbot.waitSignal(pane.style_shown, timeout=5000):
        qtbot.keyClick(pane.check_table, Qt.Key.Key_Return)
    assert _current_cell(pane).sku_id == 3


def test_check_order_lines_from_the_detail_rows(qtbot, pane):
    from workstation.models.search import OrderLineRow

    lines = [OrderLineRow(1, 10, "A2088", "宽松短袖T恤", "白色", "L", "A2088-W-L", 3, 5900)]
    with qtbot.waitSignal(pane.check_shown, timeout=5000):
        pane.check_order_lines(lines)
    assert pane.check_model.data(pane.check_model.index(0, 5)) == "✓ in stock"
    assert pane.check_title.text() == "Stock of the lines: ✓ every line is in stock"


def test_bad_lines_get_a_message_and_change_nothing(qtbot, pane):
    before = pane.queries_issued
    pane.check_order_lines([("7", 1)])
    assert "Cannot check these lines" in pane.info.text()
    assert pane.queries_issued == before and pane.check_model.check is None


def test_the_order_detail_asks_for_a_stock_check(qtbot, cache):
    from workstation.models.search import get_order_detail
    from workstation.ui.order_detail import OrderDetailView

    apply_snapshot_page(cache.engine, "orders", [make_order_with_lines(5)], next_cursor=None, done=True,
                        feed_cursor="f", total=1)
    view = OrderDetailView()
    qtbot.addWidget(view)
    view.show_detail(get_order_detail(cache.engine, 5))
    view.show()
    with qtbot.waitSignal(view.check_stock_requested, timeout=2000) as blocker:
        qtbot.mouseClick(view.check_stock_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [5]


def test_nothing_is_requeried_when_nothing_shown_changed(qtbot, pane, cache):
    _search(qtbot, pane, "A1023")
    _open_top(qtbot, pane)
    before = pane.queries_issued
    change = set_stock(cache.engine, 11, 1, qty=1, reserved=0).get("stock")  # B3001, not shown
    pane.on_stock_changed(change)
    pane.on_stock_changed(StreamChange("stock"))  # empty
    assert pane.queries_issued == before


def test_a_changed_stock_row_is_updated_in_place(qtbot, pane, cache):
    _search(qtbot, pane, "A1023")
    _open_top(qtbot, pane)
    index = pane.grid.index_of(6, 1)  # 黑色 L, 8 available
    pane.grid_table.setCurrentIndex(index)
    resets = []
    pane.grid.modelReset.connect(lambda: resets.append(1))
    before = pane.grid_loads_issued
    change = set_stock(cache.engine, 6, 1, qty=8, reserved=8).get("stock")
    assert change.upserted == {stock_id(6, 1)}
    with qtbot.waitSignal(pane.style_shown, timeout=5000):
        pane.on_stock_changed(change)
    assert pane.grid_loads_issued == before + 1  # one query; it ran out, so substitutes follow
    assert resets == []
    assert pane.grid_table.currentIndex() == index  # the cursor stays
    assert pane.grid.data(index) == "✕ 0"


def test_a_changed_product_refreshes_the_search_index(qtbot, pane, cache):
    from tests.stock_data import small_products

    _search(qtbot, pane, "羊毛", chinese=True)
    assert pane.results.rowCount() == 0
    renamed = dict(small_products()[2], seq=900, name="羊毛连衣裙")
    changes = apply_changes(cache.engine, "products", [{"seq": 900, "op": "upsert", "item": renamed}],
                            next_cursor="f1")
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        pane.on_products_changed(changes.get("products"))
    assert pane.results.match_at(0).style_no == "B3001"


def test_esc_goes_back_to_the_search(qtbot, pane):
    _search(qtbot, pane, "A1023")
    _open_top(qtbot, pane)
    qtbot.keyClick(pane.grid_table, Qt.Key.Key_Escape)
    assert pane.search_field.hasFocus()
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Down)
    assert pane.results_table.hasFocus()
    assert pane.grid.data(pane.grid.index_of(1, 1), SKU_ROLE) == 1


def test_a_sync_page_through_the_writer_reaches_the_grid(qtbot, pane, cache):
    """The real path: the cache writer applies a stock page, `CacheEvents` re-emits it on the
    GUI thread and calls the subscribed pane's `on_stock_changed`."""
    from workstation.ui.events import CacheEvents

    events = CacheEvents(min_interval_ms=0)
    events.attach(cache.writer)
    events.subscribe(pane)
    try:
        _search(qtbot, pane, "A2088")
        _open_top(qtbot, pane)
        index = pane.grid.index_of(10, 2)  # 白色 L in Guangzhou: 4
        assert pane.grid.data(index) == "4"
        item = {"id": stock_id(10, 2), "seq": 7000, "sku_id": 10, "warehouse_id": 2, "qty": 1, "reserved": 1,
                "page_qty": 0}
        with qtbot.waitSignal(pane.style_shown, timeout=5000):
            cache.writer.submit(apply_changes, "stock", [{"seq": 7000, "op": "upsert", "item": item}],
                                next_cursor="feed-7000")
        assert pane.grid.data(index) == "✕ 0"
    finally:
        events.detach()


def test_substitutes_are_read_again_when_the_grid_changes(qtbot, pane, cache):
    _search(qtbot, pane, "A1023-W-L")
    with qtbot.waitSignal(pane.substitutes_shown, timeout=5000):
        _open_top(qtbot, pane)
    assert pane.substitutes.item(0).text().startswith("Same style: 白色 M")
    change = set_stock(cache.engine, 2, 2, qty=0, reserved=0).get("stock")  # 白色 M sold out in Guangzhou
    with qtbot.waitSignal(pane.substitutes_shown, timeout=5000):
        pane.on_stock_changed(change)
    texts = [pane.substitutes.item(i).text() for i in range(pane.substitutes.count())]
    assert not any("白色 M" in t for t in texts)
    assert texts[0].startswith("Same style: 白色 S — 9 available")
    assert _current_cell(pane).sku_id == 3  # the cursor stayed on 白色 L
