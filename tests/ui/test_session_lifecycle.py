"""The whole window against a live store: lookups through the window, the server going
away (offline), the token being revoked during sync (session expired)."""
from __future__ import annotations

from contextlib import ExitStack

from PySide6.QtCore import Qt
from sqlalchemy import text

from tests.ui.conftest import sign_in, wait_for_dialog, wait_online
from tests.ui.helpers import type_chinese
from workstation.ui.order_table import Column


def _some_order(store):
    with store.engine.connect() as conn:
        return conn.execute(text(
            "SELECT id, order_no, receiver_name, payment_method FROM orders WHERE shop_id = :s "
            "AND payment_method = 'cod' AND status = 'completed' ORDER BY id DESC LIMIT 1"),
            {"s": store.shop_id}).one()


def _search(qtbot, window, query: str, *, chinese=False):
    lookup = window.lookup
    lookup.search_field.clear()
    with qtbot.waitSignal(lookup.results_shown, timeout=10_000,
                          check_params_cb=lambda q, n: q == query):
        if chinese:
            type_chinese(lookup.search_field, query)
        else:
            qtbot.keyClicks(lookup.search_field, query)
    return [lookup.model.row_at(r) for r in range(lookup.model.rowCount())]


def test_lookup_through_the_window_after_the_first_sync(qtbot, launch, store):
    order = _some_order(store)
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    window = running.window

    # Ctrl+F focuses the search field from anywhere in the window.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.lookup.table.setFocus()
    assert not window.lookup.search_field.hasFocus()
    qtbot.keyClick(window.lookup.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.lookup.search_field.hasFocus()
    assert "Ctrl+F" in window.lookup.search_field.placeholderText()

    rows = _search(qtbot, window, order.order_no[-8:])
    assert [r.order_no for r in rows] == [order.order_no]
    with qtbot.waitSignal(window.lookup.detail_shown, timeout=10_000):
        qtbot.keyClick(window.lookup.search_field, Qt.Key.Key_Return)
    # Delivered and paid: nothing left to confirm, so no COD banner (tests/ui/test_cod_banner.py).
    assert window.lookup.detail.payment.text() == "Cash on delivery"
    assert not window.lookup.detail.cod_badge.isVisible()
    cod_cell = window.lookup.model.index(0, Column.PAYMENT)
    assert "Cash on delivery" in window.lookup.model.data(cod_cell)  # ... and in the table

    rows = _search(qtbot, window, order.receiver_name, chinese=True)
    assert rows and all(order.receiver_name in r.receiver_name for r in rows)
    assert "as of" in window.lookup.info.text()

    with qtbot.waitSignal(window.lookup.results_shown, timeout=10_000, check_params_cb=lambda q, n: q == ""):
        qtbot.keyClick(window.lookup.search_field, Qt.Key.Key_Escape)
    assert window.lookup.search_field.text() == ""  # ... and the newest synced orders are back
    with store.engine.connect() as conn:
        newest = conn.execute(text("SELECT id FROM orders WHERE shop_id = :s ORDER BY id DESC LIMIT 50"),
                              {"s": store.shop_id}).scalars().all()
    assert [window.lookup.model.row_at(r).id for r in range(window.lookup.model.rowCount())] == newest


def test_a_new_agents_first_sync_comes_from_the_shops_cache_file(qtbot, launch, store_factory, tmp_path, caplog):
    """The window of a new agent over a shop whose cache file is built: the orders are there
    and searchable once online, and they came from the file, not from pages."""
    import logging

    from storeserver import cachefiles

    store = store_factory(cache_files=tmp_path / "files")
    cachefiles.build(store.engine, store.shop_id, tmp_path / "files")
    order = _some_order(store)
    caplog.set_level(logging.INFO, logger="workstation.sync.puller")
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    assert any("from the shop's cache file" in r.getMessage() for r in caplog.records)
    rows = _search(qtbot, running.window, order.order_no[-8:])
    assert [r.order_no for r in rows] == [order.order_no]
    rows = _search(qtbot, running.window, order.receiver_name, chinese=True)
    assert rows and all(order.receiver_name in r.receiver_name for r in rows)


def test_server_going_away_leaves_lookups_working_offline(qtbot, launch, store_factory):
    from storeserver.api import create_app
    from storeserver.testing import serve_in_thread

    store = store_factory()
    order = _some_order(store)
    with ExitStack() as server:
        url = server.enter_context(serve_in_thread(create_app(store.engine)))
        running = launch()
        sign_in(qtbot, running, url, store.login, store.password, remember=True)
        wait_online(qtbot, running)
    # The server is gone now.
    window = running.window
    qtbot.waitUntil(lambda: window.status.state == "offline", timeout=30_000)
    assert "Offline" in window.status.connection.text()
    rows = _search(qtbot, window, order.order_no[-6:])
    assert order.order_no in [r.order_no for r in rows]
    window.close()

    # Next start with the server still down: no dialog, the cache opens, offline.
    again = launch()
    qtbot.waitUntil(lambda: again.window.status.state == "offline", timeout=30_000)
    assert again.session.dialog is None
    rows = _search(qtbot, again.window, order.order_no[-6:])
    assert order.order_no in [r.order_no for r in rows]


def test_token_revoked_during_sync_brings_back_the_sign_in_dialog(qtbot, launch, store):
    from storeserver import ops
    from workstation.sync.client import StoreClient

    order = _some_order(store)
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password, remember=True)
    wait_online(qtbot, running)
    cache = running.session.cache

    revoker = StoreClient(store.url, token=running.session.session.token)
    revoker.logout()  # e.g. an admin ended the session, or it expired
    revoker.close()
    ops.set_remark(store.engine, store.shop_id, order.id, "催发货", 1, "1024")  # wakes the sync

    d = wait_for_dialog(qtbot, running, timeout=30_000)
    assert "session has expired" in d.message.text()
    assert d.server_url.text() == store.url and d.login.text() == store.login
    assert running.window.isVisible()
    assert running.session.cache is cache  # the cache stays open: lookups keep working
    assert running.window.status.state == "expired"
    assert "Session expired" in running.window.status.connection.text()
    rows = _search(qtbot, running.window, order.order_no[-6:])
    assert order.order_no in [r.order_no for r in rows]

    # Signing in again resumes syncing with the same cache.
    d.password.setText(store.password)
    qtbot.mouseClick(d.sign_in_button, Qt.MouseButton.LeftButton)
    wait_online(qtbot, running)
    assert running.session.cache is cache
