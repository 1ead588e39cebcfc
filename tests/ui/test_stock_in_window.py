"""The stock pane as a tab of the main window's context area: Ctrl+Shift+S from the order
search opens it, Ctrl+F goes back, and an order's "check stock" shows all its lines there.
The session is not involved: the test points both panes at a real cache file itself (what
`app.wire` does once the lead wires the stock pane to the session)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.stock_data import make_order_with_lines, small_shop
from workstation.models.apply import apply_snapshot_page
from workstation.settings import Settings
from workstation.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path, data_dir):
    cache = small_shop(tmp_path / "cache.sqlite")
    apply_snapshot_page(cache.engine, "orders", [make_order_with_lines(7, lines=[(1, 1), (3, 2)])],
                        next_cursor=None, done=True, feed_cursor="f", total=1)
    w = MainWindow(Settings(tmp_path / "settings.ini"), language="en")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.lookup.set_engine(cache.engine)
    w.stock.set_engine(cache.engine)
    yield w
    w.close()
    cache.close()


def test_the_stock_tab_sits_beside_the_orders(window):
    tabs = window.context_tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Orders", "Stock", "Buyer",
                                                         "Waiting to send"]
    assert window.area("context") is tabs
    assert tabs.cornerWidget(Qt.Corner.TopRightCorner) is window.agent_button  # on every tab


def test_ctrl_shift_s_from_the_order_search_and_back_with_ctrl_f(qtbot, window):
    window.lookup.focus_search()
    qtbot.waitUntil(window.lookup.search_field.hasFocus)
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.lookup.search_field, Qt.Key.Key_S, modifiers)
    assert window.context_tabs.currentWidget() is window.stock
    assert window.stock.search_field.hasFocus()
    qtbot.keyClick(window.stock.search_field, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.context_tabs.currentWidget() is window.lookup
    assert window.lookup.search_field.hasFocus()


def test_check_stock_in_the_order_detail_shows_every_line(qtbot, window):
    lookup = window.lookup
    qtbot.waitUntil(lambda: lookup.model.rowCount() == 1, timeout=5000)  # the newest orders
    with qtbot.waitSignal(lookup.detail_shown, timeout=5000):
        lookup.open_selected_or_top()
    with qtbot.waitSignal(window.stock.check_shown, timeout=5000):
        qtbot.keyClick(lookup.detail, Qt.Key.Key_K,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.context_tabs.currentWidget() is window.stock
    model = window.stock.check_model
    assert model.rowCount() == 2
    assert [model.data(model.index(r, 5)) for r in range(2)] == ["✓ in stock", "✕ short by 2"]
