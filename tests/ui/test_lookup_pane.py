"""Order lookup over a real cache file: the newest orders while the query is empty, typing
(ASCII and Chinese), Enter, Esc, the detail, and a newer request superseding an older one."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from tests.ui.helpers import build_cache, make_order, type_chinese
from workstation.models.search import recent_orders, search_orders
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
    with qtbot.waitSignal(p.results_shown, timeout=5000):  # the newest orders, as at start-up
        p.set_engine(cache.engine)
    yield p
    p.shutdown()


def _shown_order_nos(pane) -> list[str]:
    m = pane.model
    return [m.data(m.index(r, Column.ORDER_NO)) for r in range(m.rowCount())]


def _newest_order_nos(top: int = 60, n: int = 50) -> list[str]:
    return [make_order(i)["order_no"] for i in range(top, top - n, -1)]


def _shown(query: str):
    """`check_params_cb` for results_shown: the rows of this query ("" = the newest orders)."""
    return lambda q, n: q == query


def test_newest_orders_show_once_the_cache_opens(qtbot, cache):
    pane = OrderLookupPane(debounce_ms=20)
    qtbot.addWidget(pane)
    try:
        assert pane.model.rowCount() == 0
        assert pane.info.text() == "Opening the local cache…"
        with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
            pane.set_engine(cache.engine)
        assert _shown_order_nos(pane) == _newest_order_nos()
        assert pane.info.text() == "Newest 50 orders · not synced yet"
    finally:
        pane.shutdown()


def test_typing_replaces_the_newest_orders_and_esc_brings_them_back(qtbot, pane):
    assert _shown_order_nos(pane) == _newest_order_nos()
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("00000042")):
        qtbot.keyClicks(pane.search_field, "00000042")
    assert _shown_order_nos(pane) == ["202611110800000042"]
    assert pane.info.text() == "1 matching orders · not synced yet"
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Escape)
    assert pane.search_field.text() == ""
    assert _shown_order_nos(pane) == _newest_order_nos()
    assert pane.info.text() == "Newest 50 orders · not synced yet"


def test_enter_with_an_empty_query_opens_the_newest_order(qtbot, pane):
    with qtbot.waitSignal(pane.detail_shown, timeout=5000) as blocker:
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
    assert blocker.args == [60]
    assert pane.detail.order_no.text() == "202611110800000060"


def test_enter_right_after_esc_opens_the_newest_order(qtbot, pane):
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("00000042")):
        qtbot.keyClicks(pane.search_field, "00000042")
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Escape)
    with qtbot.waitSignal(pane.detail_shown, timeout=5000) as blocker:
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)  # before the newest orders are back
    assert blocker.args == [60]


def test_a_sync_refreshes_the_newest_orders(qtbot, pane, cache):
    from workstation.models.apply import apply_changes

    apply_changes(cache.engine, "orders", [{"seq": 61, "op": "upsert", "item": make_order(61)}],
                  next_cursor="feed-1")
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
        pane.refresh()
    assert _shown_order_nos(pane) == _newest_order_nos(top=61)


def test_a_sync_without_new_orders_keeps_the_selection(qtbot, pane):
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Down)  # into the table, on the newest order
    with qtbot.waitSignal(pane.detail_shown, timeout=5000, check_params_cb=lambda oid: oid == 59):
        qtbot.keyClick(pane.table, Qt.Key.Key_Down)
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
        pane.refresh()
    assert pane.table.currentIndex().row() == 1


def test_an_empty_cache_says_so(qtbot, tmp_path):
    from workstation.models.db import open_cache

    empty = open_cache(tmp_path / "empty.sqlite")
    pane = OrderLookupPane(debounce_ms=20)
    qtbot.addWidget(pane)
    try:
        with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
            pane.set_engine(empty.engine)
        assert pane.model.rowCount() == 0
        assert pane.info.text() == "No orders in the local cache yet · not synced yet"
    finally:
        pane.shutdown()
        empty.close()


def test_newest_orders_info_line_in_chinese(qtbot, qapp, cache):
    from PySide6.QtCore import QLocale

    from workstation.ui.i18n import install_translators

    translators = install_translators(qapp, "zh_CN")
    pane = OrderLookupPane(debounce_ms=20)
    qtbot.addWidget(pane)
    try:
        with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
            pane.set_engine(cache.engine)
        assert pane.info.text() == "最新 50 个订单 · 尚未同步"
    finally:
        pane.shutdown()
        for t in translators:
            qapp.removeTranslator(t)
        QLocale.setDefault(QLocale("en_US"))


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
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Escape)
    assert pane.search_field.text() == ""
    assert _shown_order_nos(pane) == _newest_order_nos()
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


def _held_back(fn, release: threading.Event, started: list):
    """`fn`, but each call waits for `release` (it is still running when the next request comes)."""
    def slow(*args):
        started.append(args[1:])
        release.wait(10)
        return fn(*args)
    return slow


def _watch(pane) -> list[str]:
    shown: list[str] = []
    pane.results_shown.connect(lambda q, n: shown.append(q))
    return shown


def test_stale_newest_orders_never_replace_typed_results(qtbot, cache):
    release, started = threading.Event(), []
    pane = OrderLookupPane(recent_fn=_held_back(recent_orders, release, started), debounce_ms=1)
    qtbot.addWidget(pane)
    shown = _watch(pane)
    try:
        pane.set_engine(cache.engine)  # loading the newest orders, held back
        qtbot.waitUntil(lambda: started == [(50,)], timeout=5000)
        pane.search_field.setText("00000042")
        release.set()
        # One worker runs the requests in order and delivers in order: once the typed results
        # are shown, the stale newest-orders answer has already arrived (and been dropped).
        qtbot.waitUntil(lambda: shown == ["00000042"], timeout=5000)
        assert _shown_order_nos(pane) == ["202611110800000042"]
    finally:
        release.set()
        pane.shutdown()


def test_stale_typed_results_never_replace_the_newest_orders(qtbot, cache):
    release, started = threading.Event(), []
    pane = OrderLookupPane(search_fn=_held_back(search_orders, release, started), debounce_ms=1)
    qtbot.addWidget(pane)
    try:
        with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=_shown("")):
            pane.set_engine(cache.engine)
        shown = _watch(pane)
        pane.search_field.setText("00000042")
        qtbot.waitUntil(lambda: started == [("00000042", 50)], timeout=5000)
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Escape)  # cleared while the search still runs
        release.set()
        qtbot.waitUntil(lambda: shown == [""], timeout=5000)
        assert _shown_order_nos(pane) == _newest_order_nos()
        assert pane.info.text() == "Newest 50 orders · not synced yet"
    finally:
        release.set()
        pane.shutdown()


def test_results_show_freshness_with_the_date_when_not_today(qtbot, pane):
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    pane.set_last_synced(now)
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        qtbot.keyClicks(pane.search_field, "00000042")
    assert pane.info.text() == f"1 matching orders · as of {now.astimezone():%H:%M}"
    earlier = (now - timedelta(days=3)).astimezone()
    pane.set_last_synced(earlier)
    day = f"{earlier:%m-%d}" if earlier.year == now.astimezone().year else f"{earlier:%Y-%m-%d}"
    assert pane.info.text() == f"1 matching orders · as of {day} {earlier:%H:%M}"
