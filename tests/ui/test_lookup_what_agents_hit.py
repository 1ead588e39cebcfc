"""Issue 6, "what an agent hits today", in the lookup pane: a new search never leaves another
buyer's order open, a first sync says its results may be incomplete, and a failed search or
detail load says what failed."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from tests.ui.helpers import build_cache
from workstation.models.db import make_engine, open_cache
from workstation.ui.order_lookup import OrderLookupPane

PLACEHOLDER = "Open an order to see its details here (Enter)."


@pytest.fixture
def cache(tmp_path):
    c = build_cache(tmp_path / "cache.sqlite", n=60)
    yield c
    c.close()


def _pane(qtbot, **kwargs) -> OrderLookupPane:
    pane = OrderLookupPane(debounce_ms=20, **kwargs)
    qtbot.addWidget(pane)
    pane.resize(1200, 700)
    pane.show()
    return pane


@pytest.fixture
def pane(qtbot, cache):
    p = _pane(qtbot)
    with qtbot.waitSignal(p.results_shown, timeout=5000):
        p.set_engine(cache.engine)
    yield p
    p.shutdown()


def _search(qtbot, pane, text: str) -> None:
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=lambda q, n: q == text):
        pane.search_field.setText(text)


def test_a_new_search_closes_an_order_that_is_not_among_its_results(qtbot, pane):
    with qtbot.waitSignal(pane.detail_shown, timeout=5000):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)  # opens the newest order, 60
    assert pane.detail.order_no.text() == "202611110800000060"
    _search(qtbot, pane, "00000042")
    assert not pane.detail.is_showing()
    assert pane.detail.placeholder_text() == PLACEHOLDER
    assert pane.detail.isHidden()  # the table gets the room back


def test_a_new_search_keeps_an_open_order_that_is_among_its_results(qtbot, pane):
    _search(qtbot, pane, "00000042")
    with qtbot.waitSignal(pane.detail_shown, timeout=5000):
        qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
    _search(qtbot, pane, "0000004")  # 40..49: still lists order 42
    assert pane.detail.is_showing() and pane.detail.order_no.text() == "202611110800000042"


def test_an_order_still_loading_is_not_shown_after_a_new_search(qtbot, cache):
    from workstation.models.search import get_order_detail

    release, started = threading.Event(), []

    def slow_detail(engine, order_id):
        started.append(order_id)
        release.wait(10)  # the agent types a new search while this order is still loading
        return get_order_detail(engine, order_id)

    pane = _pane(qtbot, detail_fn=slow_detail)
    shown = []
    pane.detail_shown.connect(shown.append)
    try:
        with qtbot.waitSignal(pane.results_shown, timeout=5000):
            pane.set_engine(cache.engine)
        pane.table.setCurrentIndex(pane.model.index(0, 0))  # starts loading order 60
        qtbot.waitUntil(lambda: started == [60], timeout=5000)
        _search(qtbot, pane, "00000042")
        release.set()
        # The stale load has come back to the GUI thread (and was dropped there).
        qtbot.waitUntil(lambda: not pane._detail_loader._runner.busy(), timeout=5000)
        assert shown == [] and not pane.detail.is_showing()
        assert pane.detail.placeholder_text() == PLACEHOLDER
    finally:
        release.set()
        pane.shutdown()


def test_an_empty_list_during_the_first_sync_says_orders_are_arriving(qtbot, tmp_path):
    empty = open_cache(tmp_path / "empty.sqlite")
    pane = _pane(qtbot)
    try:
        pane.set_first_sync_progress(0.12)
        with qtbot.waitSignal(pane.results_shown, timeout=5000):
            pane.set_engine(empty.engine)
        assert pane.info.text() == "First sync 12% — the orders are on their way"
        assert "No orders" not in pane.info.text()
        pane.set_first_sync_progress(None)  # the first load finished and nothing came
        assert pane.info.text() == "No orders in the local cache yet · not synced yet"
    finally:
        pane.shutdown()
        empty.close()


def test_results_during_the_first_sync_say_they_may_be_incomplete(qtbot, pane):
    pane.set_first_sync_progress(0.62)
    assert pane.info.text() == "Newest 50 orders · first sync 62% — results may be incomplete"
    _search(qtbot, pane, "00000042")
    assert pane.info.text() == "1 matching orders · first sync 62% — results may be incomplete"
    pane.set_first_sync_progress(None)
    assert pane.info.text() == "1 matching orders · not synced yet"


def test_an_unreadable_cache_says_the_search_failed_and_why(qtbot, tmp_path):
    garbage = tmp_path / "broken.sqlite"
    garbage.write_bytes(b"not a database at all " * 200)  # e.g. a file damaged on disk
    engine = make_engine(garbage)
    pane = _pane(qtbot)
    try:
        with qtbot.waitSignal(pane._searcher.failed, timeout=5000):
            pane.set_engine(engine)
        assert pane.info.text().startswith(
            "Search failed: the local cache could not be read (file is not a database)")
        assert pane.model.rowCount() == 0
    finally:
        pane.shutdown()
        engine.dispose()


def test_a_failed_detail_load_names_the_order_and_the_failure(qtbot, cache):
    def broken_detail(engine, order_id):
        raise KeyError("remark_flag")  # a bug in the detail query

    pane = _pane(qtbot, detail_fn=broken_detail)
    try:
        with qtbot.waitSignal(pane.results_shown, timeout=5000):
            pane.set_engine(cache.engine)
        with qtbot.waitSignal(pane._detail_loader.failed, timeout=5000):
            qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
        assert pane.detail.placeholder_text().startswith(
            "Could not load order 202611110800000060: Internal error (KeyError): 'remark_flag'.")
        assert not pane.detail.is_showing()
    finally:
        pane.shutdown()
