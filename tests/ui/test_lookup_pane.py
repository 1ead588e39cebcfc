"""Order lookup over a real cache file: typing (ASCII and Chinese), Enter, Esc, the detail,
and a newer search superseding an older one."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from tests.ui.helpers import build_cache, type_chinese
from workstation.models.search import search_orders
from workstation.ui.order_lookup import OrderLookupPane
from workstation.ui.order_table import Column


@pytest.fixture
def cache(tmp_path):
    c = build_cache(tmp_path / "cache.sqlite", n=60)
    yield c
    c.close()


@pytest.fixture
def pane(qtbot, cache):
    p = OrderLookupPane(debounce_ms=20)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    p.set_engine(cache.engine)
    yield p
    p.shutdown()


def _shown_order_nos(pane) -> list[str]:
    m = pane.model
    return [m.data(m.index(r, Column.ORDER_NO)) for r in range(m.rowCount())]


def test_ascii_order_number_fragment_finds_the_order(qtbot, pane):
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        qtbot.keyClicks(pane.search_field, "00000042")
    assert _shown_order_nos(pane) == ["202611110800000042"]
    assert "1" in pane.info.text()


def test_chinese_name_through_the_input_method(qtbot, pane):
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        type_chinese(pane.search_field, "欧阳小明")
    assert pane.search_field.text() == "欧阳小明"
    names = {pane.model.data(pane.model.index(r, Column.RECEIVER)) for r in range(pane.model.rowCount())}
    assert pane.model.rowCount() == 10 and names == {"欧阳小明"}


def test_enter_opens_the_top_result_with_cod_flag(qtbot, pane):
    # order 41: 41 % 4 == 1 -> cash on delivery
    qtbot.keyClicks(pane.search_field, "00000041")
    with qtbot.waitSignal(pane.detail_shown, timeout=5000) as blocker:
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)  # may arrive before the results
    assert blocker.args == [41]
    detail = pane.detail
    assert detail.order_no.text() == "202611110800000041"
    assert detail.cod_badge.isVisible()
    assert "CASH ON DELIVERY" in detail.cod_badge.text()
    assert detail.payment.text() == "Cash on delivery"
    assert detail.phone.text() == "13812340041"  # full number in the detail
    assert "文三路41号" in detail.address.text()
    assert detail.lines_model.rowCount() == 1


def test_non_cod_order_has_no_flag(qtbot, pane):
    qtbot.keyClicks(pane.search_field, "00000042")
    with qtbot.waitSignal(pane.detail_shown, timeout=5000):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
    assert not pane.detail.cod_badge.isVisible()
    assert pane.detail.remark_flag.text().endswith("Red flag")  # 42 % 3 == 0: remark with red flag


def test_esc_clears_then_closes_the_detail(qtbot, pane):
    qtbot.keyClicks(pane.search_field, "00000042")
    with qtbot.waitSignal(pane.detail_shown, timeout=5000):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Escape)
    assert pane.search_field.text() == ""
    assert pane.model.rowCount() == 0
    assert pane.detail.is_showing()
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Escape)
    assert not pane.detail.is_showing()


def test_down_then_enter_opens_the_selected_row(qtbot, pane):
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        type_chinese(pane.search_field, "李梅")
    assert pane.model.rowCount() >= 2
    second = pane.model.row_at(1).id
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Down)
    assert pane.table.hasFocus()
    with qtbot.waitSignal(pane.detail_shown, timeout=5000, check_params_cb=lambda oid: oid == second):
        qtbot.keyClick(pane.table, Qt.Key.Key_Down)
    qtbot.keyClick(pane.table, Qt.Key.Key_Escape)
    assert pane.search_field.hasFocus()


def test_a_newer_search_supersedes_an_older_one(qtbot, cache):
    release = threading.Event()
    calls: list[str] = []

    def slow_first(engine, query, limit):
        calls.append(query)
        if query == "00000041":
            release.wait(10)  # the older search is still running when the newer one is typed
        return search_orders(engine, query, limit)

    pane = OrderLookupPane(search_fn=slow_first, debounce_ms=1)
    qtbot.addWidget(pane)
    pane.set_engine(cache.engine)
    shown: list[str] = []
    pane.results_shown.connect(lambda q, n: shown.append(q))
    try:
        pane.search_field.setText("00000041")
        qtbot.waitUntil(lambda: calls == ["00000041"], timeout=5000)
        pane.search_field.setText("00000042")
        release.set()
        qtbot.waitUntil(lambda: shown == ["00000042"], timeout=5000)
        qtbot.wait(100)  # give the stale result every chance to (wrongly) arrive
        assert shown == ["00000042"]
        assert _shown_order_nos(pane) == ["202611110800000042"]
    finally:
        release.set()
        pane.shutdown()


def test_results_show_freshness(qtbot, pane):
    from datetime import datetime, timezone

    pane.set_last_synced(datetime(2026, 11, 11, 6, 2, tzinfo=timezone.utc))
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        qtbot.keyClicks(pane.search_field, "00000042")
    local = datetime(2026, 11, 11, 6, 2, tzinfo=timezone.utc).astimezone().strftime("%H:%M")
    assert f"as of {local}" in pane.info.text()
