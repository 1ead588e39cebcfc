"""A search with more matches than one page: the pane says how many (or "more than N") and
the agent scrolls on to older matches, page by page, without losing the place."""
from __future__ import annotations

import pytest

from tests.ui.helpers import build_cache
from workstation.models.changes import StreamChange
from workstation.ui import order_lookup
from workstation.ui.order_lookup import OrderLookupPane


@pytest.fixture
def cache(tmp_path):
    c = build_cache(tmp_path / "cache.sqlite", n=130)  # every order is in 杭州市
    yield c
    c.close()


@pytest.fixture
def pane(qtbot, cache):
    p = OrderLookupPane(debounce_ms=5)
    qtbot.addWidget(p)
    p.resize(1200, 500)
    p.show()
    with qtbot.waitSignal(p.results_shown, timeout=5000):
        p.set_engine(cache.engine)
    yield p
    p.shutdown()


def _search(qtbot, pane, text: str) -> None:
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=lambda q, n: q == text):
        pane.search_field.setText(text)


def _ids(pane) -> list[int]:
    return [r.id for r in pane.model.rows()]


def _scroll_to_end(qtbot, pane, expect_rows: int) -> None:
    bar = pane.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > bar.value(), timeout=5000)  # the view took the rows
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: pane.model.rowCount() == expect_rows, timeout=5000)


def test_count_is_said_and_scrolling_loads_older_matches(qtbot, pane):
    _search(qtbot, pane, "杭州")
    assert _ids(pane) == list(range(130, 80, -1))
    qtbot.waitUntil(lambda: "of 130 matches" in pane.info.text(), timeout=5000)
    assert pane.info.text().startswith("Newest 50 of 130 matches — scroll down for older ones")

    pane.table.setCurrentIndex(pane.model.index(10, 0))  # the agent's place in the list
    _scroll_to_end(qtbot, pane, 100)
    assert _ids(pane) == list(range(130, 30, -1))  # newest first, no gap, no repeat
    assert pane.table.currentIndex().row() == 10

    _scroll_to_end(qtbot, pane, 130)
    assert _ids(pane) == list(range(130, 0, -1))
    assert pane.info.text().startswith("130 matching orders")
    issued = pane.more_loads_issued
    assert not pane.load_more()  # everything is loaded: nothing more is asked for
    assert pane.more_loads_issued == issued


def test_a_sync_keeps_the_scrolled_list(qtbot, pane):
    _search(qtbot, pane, "杭州")
    _scroll_to_end(qtbot, pane, 100)
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        pane.on_orders_changed(StreamChange("orders", upserted=frozenset({40})))
    assert _ids(pane) == list(range(130, 30, -1))  # still 100 rows: the place is kept


def test_more_than_n_when_counting_stops(qtbot, pane, monkeypatch):
    monkeypatch.setattr(order_lookup, "COUNT_UP_TO", 100)
    _search(qtbot, pane, "西湖区")
    qtbot.waitUntil(lambda: "more than" in pane.info.text(), timeout=5000)
    assert pane.info.text().startswith("Newest 50 of more than 100 matches")


def test_a_new_search_drops_the_older_pages(qtbot, pane):
    _search(qtbot, pane, "杭州")
    _scroll_to_end(qtbot, pane, 100)
    _search(qtbot, pane, "文三路12号")
    assert 12 in _ids(pane) and len(_ids(pane)) < 50
    assert not pane.load_more()


def test_few_matches_need_no_count(qtbot, pane):
    before = pane.counts_issued
    _search(qtbot, pane, "文三路12号")
    assert pane.counts_issued == before
    assert "matching orders" in pane.info.text()
