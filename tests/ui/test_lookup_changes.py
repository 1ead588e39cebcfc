"""The lookup pane refreshes only what a cache write changed (its change set): nothing is
re-queried when nothing it shows changed, the open order reloads when it changed, and the
table takes changed rows in place (selection and scroll position stay)."""
from __future__ import annotations

import pytest

from tests.ui.helpers import build_cache, make_order
from workstation.models.apply import apply_changes
from workstation.models.changes import StreamChange
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
    with qtbot.waitSignal(p.results_shown, timeout=5000):
        p.set_engine(cache.engine)
    yield p
    p.shutdown()


def _write(cache, *orders, deleted=(), cursor="feed-1") -> None:
    """A real feed page through the real apply path."""
    seq = 1000
    changes = []
    for order in orders:
        seq += 1
        changes.append({"seq": seq, "op": "upsert", "item": dict(order, seq=seq)})
    for oid in deleted:
        seq += 1
        changes.append({"seq": seq, "op": "delete", "id": oid})
    apply_changes(cache.engine, "orders", changes, next_cursor=cursor)


def _change(upserted=(), inserted=(), deleted=(), reindexed=(), reloaded=False) -> StreamChange:
    return StreamChange("orders", frozenset(upserted), frozenset(inserted), frozenset(deleted),
                        frozenset(reindexed), reloaded)


def _open(qtbot, pane, order_id: int) -> None:
    row = next(r for r in range(pane.model.rowCount()) if pane.model.row_at(r).id == order_id)
    with qtbot.waitSignal(pane.detail_shown, timeout=5000, check_params_cb=lambda oid: oid == order_id):
        pane.table.setCurrentIndex(pane.model.index(row, 0))


def _search(qtbot, pane, text: str) -> None:
    with qtbot.waitSignal(pane.results_shown, timeout=5000, check_params_cb=lambda q, n: q == text):
        pane.search_field.setText(text)


def test_an_empty_change_set_queries_nothing(pane):
    before = pane.queries_issued
    pane.on_orders_changed(_change())
    pane.on_orders_changed(StreamChange("stock", frozenset({1, 2})))  # another stream
    assert pane.queries_issued == before


def test_a_change_of_orders_not_shown_queries_nothing(qtbot, pane, cache):
    _open(qtbot, pane, 59)
    before = (pane.searches_issued, pane.detail_loads_issued)
    _write(cache, make_order(3, remark="催发货"))  # order 3 is below the newest 50 shown
    pane.on_orders_changed(_change(upserted={3}, reindexed={3}))
    assert (pane.searches_issued, pane.detail_loads_issued) == before


def test_a_search_ignores_rows_that_cannot_newly_match(qtbot, pane, cache):
    _search(qtbot, pane, "00000042")
    before = pane.queries_issued
    _write(cache, make_order(7, status="shipped"))  # status only: the searchable text is the same
    pane.on_orders_changed(_change(upserted={7}))
    assert pane.queries_issued == before
    # A row whose searchable text changed may match now: the search runs again.
    pane.on_orders_changed(_change(upserted={7}, reindexed={7}))
    assert pane.searches_issued == before + 1


def test_a_new_newest_order_refreshes_the_newest_orders(qtbot, pane, cache):
    before = pane.queries_issued
    _write(cache, make_order(61))
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        pane.on_orders_changed(_change(upserted={61}, inserted={61}, reindexed={61}))
    assert pane.queries_issued == before + 1
    assert pane.model.row_at(0).id == 61


def test_a_change_of_the_open_order_reloads_its_detail_once(qtbot, pane, cache):
    _open(qtbot, pane, 59)
    loads = pane.detail_loads_issued
    _write(cache, make_order(59, remark="买家要求改地址", remark_flag=2))
    with qtbot.waitSignal(pane.detail_shown, timeout=5000):
        pane.on_orders_changed(_change(upserted={59}))
    assert pane.detail_loads_issued == loads + 1
    assert pane.detail.remark_text.text() == "买家要求改地址"


def test_a_changed_row_is_updated_in_place_keeping_the_selection(qtbot, pane, cache):
    _open(qtbot, pane, 59)
    resets = []
    pane.model.modelReset.connect(lambda: resets.append(1))
    _write(cache, make_order(59, remark="买家要求改地址", remark_flag=2))
    with qtbot.waitSignal(pane.results_shown, timeout=5000):
        pane.on_orders_changed(_change(upserted={59}))
    assert resets == []  # no reset: the view keeps its selection and scroll position
    assert pane.table.currentIndex().row() == 1
    assert pane.model.data(pane.model.index(1, Column.FLAG)) == "■ Yellow flag"


def test_a_deleted_open_order_says_so_without_a_query(qtbot, pane, cache):
    _open(qtbot, pane, 59)
    loads = pane.detail_loads_issued
    _write(cache, deleted=[59])
    pane.on_orders_changed(_change(deleted={59}))
    assert pane.detail_loads_issued == loads
    assert pane.detail.placeholder_text() == "This order is no longer in the local cache."


def test_a_reloaded_stream_refreshes_everything(qtbot, pane):
    _open(qtbot, pane, 59)
    before = (pane.searches_issued, pane.detail_loads_issued)
    with qtbot.waitSignal(pane.detail_shown, timeout=5000):
        pane.on_orders_changed(_change(reloaded=True))
    assert (pane.searches_issued, pane.detail_loads_issued) == (before[0] + 1, before[1] + 1)


def test_a_short_newest_list_takes_any_new_order(qtbot, tmp_path):
    small = build_cache(tmp_path / "small.sqlite", n=3)
    pane = OrderLookupPane(debounce_ms=20)
    qtbot.addWidget(pane)
    try:
        with qtbot.waitSignal(pane.results_shown, timeout=5000):
            pane.set_engine(small.engine)
        before = pane.searches_issued
        apply_changes(small.engine, "orders", [{"seq": 900, "op": "upsert", "item": make_order(0)}],
                      next_cursor="feed-1")  # an id below every shown row, but the list is not full
        with qtbot.waitSignal(pane.results_shown, timeout=5000):
            pane.on_orders_changed(_change(upserted={0}, inserted={0}, reindexed={0}))
        assert pane.searches_issued == before + 1
        assert [pane.model.row_at(r).id for r in range(pane.model.rowCount())] == [3, 2, 1, 0]
    finally:
        pane.shutdown()
        small.close()
