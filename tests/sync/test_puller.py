"""Puller against a real storeserver over loopback HTTP, into a real cache file."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta

import orjson
import pytest
from sqlalchemy import select, update

from storeserver import ops
from storeserver.models import AuthSession, Buyer, Order, Sku, Stock
from tests.sync.conftest import signed_in
from tests.sync.helpers import (assert_cache_equals_server, server_view, sync_state_rows,
                                table_counts)
from tests.sync.netfaults import Fault, FaultProxy, closed_port
from workstation.models.schema import ORDER_STATUS
from workstation.models.search import count_orders, search_orders
from workstation.models.state import get_stream_state, last_synced_at
from workstation.sync.client import StoreClient
from workstation.sync.errors import (AuthExpired, BadCredentials, PayloadError,
                                     ServerUnreachable)
from workstation.sync.puller import Puller, SyncProgress
from workstation.sync.wire import STREAM_ORDER


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_first_sync_makes_cache_equal_server(store_factory, cache, kind):
    store = store_factory(kind=kind, orders=300, seed=1)
    progress: list[SyncProgress] = []
    client = signed_in(store.url, store.login, store.password)
    summary = Puller(client, cache.writer, page_size=70, on_progress=progress.append).run_once()

    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    server = server_view(store.engine, store.shop_id)
    assert summary.streams["orders"].items == len(server["orders"]) == count_orders(cache.engine)
    assert summary.streams["orders"].snapshot_pages == -(-len(server["orders"]) // 70)
    fractions = [p.fraction for p in progress if p.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    orders_total = [p.total for p in progress if p.stream == "orders"]
    assert set(orders_total) == {len(server["orders"])}
    assert last_synced_at(cache.engine) is not None
    assert {get_stream_state(cache.engine, s).phase for s in STREAM_ORDER} == {"feed"}

    again = Puller(client, cache.writer, page_size=70).run_once()
    assert again.items == 0 and again.pages == len(STREAM_ORDER)  # one empty feed page each


def _first_sync(store, cache, **kw) -> StoreClient:
    client = signed_in(store.url, store.login, store.password)
    Puller(client, cache.writer, **kw).run_once()
    return client


def test_a_first_load_leaves_the_search_index_folded(store_factory, cache, monkeypatch):
    """Each page's transaction leaves a small segment in the search index; after the load
    they are folded into one, in steps (a further step finds nothing to do), and the search
    still finds the orders by any of their words."""
    from workstation.models import fts
    from workstation.sync import puller as puller_module

    monkeypatch.setattr(puller_module, "SNAPSHOT_BATCH", 40)  # one transaction per page
    steps: list[bool] = []
    real_step = puller_module.fold_search_index_step
    monkeypatch.setattr(puller_module, "fold_search_index_step",
                        lambda engine: steps.append(real_step(engine)) or steps[-1])
    store = store_factory(orders=300, seed=1)
    _first_sync(store, cache, page_size=40)
    assert steps[0] is True and steps[-1] is False  # there was something to fold, then nothing
    con = sqlite3.connect(cache.path)
    try:
        assert fts.merge_step(con.cursor()) is False
        con.rollback()
    finally:
        con.close()
    with store.engine.connect() as conn:
        nick, no = conn.execute(select(Order.buyer_nick, Order.order_no).where(
            Order.shop_id == store.shop_id).order_by(Order.id.desc()).limit(1)).one()
    assert no in [r.order_no for r in search_orders(cache.engine, nick[:4])]


def _some_ids(engine, shop_id: int):
    with engine.connect() as conn:
        movable = conn.execute(select(Order.id, Order.status).where(
            Order.shop_id == shop_id, Order.status.in_(list(ops.NEXT_STATUS))).order_by(Order.id)).all()
        others = conn.execute(select(Order.id).where(
            Order.shop_id == shop_id, Order.status.not_in(list(ops.NEXT_STATUS)))
            .order_by(Order.id)).scalars().all()
        buyer = conn.execute(select(Buyer.id).where(Buyer.shop_id == shop_id).limit(1)).scalar_one()
        sku = conn.execute(select(Sku.id).limit(1)).scalar_one()
        stock = conn.execute(select(Stock.id).where(Stock.shop_id == shop_id).limit(1)).scalar_one()
    return movable, others, buyer, sku, stock


def test_live_changes_arrive_exactly(store, cache):
    client = _first_sync(store, cache, page_size=100)
    eng, shop = store.engine, store.shop_id
    movable, others, buyer, sku, stock = _some_ids(eng, shop)
    moved_id, old_status = movable[0]
    with eng.connect() as conn:
        doomed_no = conn.execute(select(Order.order_no).where(Order.id == others[0])).scalar_one()
    assert search_orders(cache.engine, doomed_no)

    ops.advance_order(eng, shop, moved_id)
    ops.set_remark(eng, shop, others[1], "加急 urgent", 1, "1024")
    new_id = ops.create_order(eng, shop, buyer, [(sku, 2)])
    ops.delete_order(eng, shop, others[0])
    ops.set_stock_qty(eng, shop, stock, 77)

    summary = Puller(client, cache.writer, page_size=100).run_once()
    assert summary.streams["orders"].items == 4  # status, remark, new, delete
    assert summary.streams["stock"].items == 1
    assert summary.streams["warehouses"].items == summary.streams["products"].items == 0
    assert_cache_equals_server(eng, shop, cache.path)
    assert search_orders(cache.engine, doomed_no) == []
    with eng.connect() as conn:
        new_no = conn.execute(select(Order.order_no).where(Order.id == new_id)).scalar_one()
    assert [r.id for r in search_orders(cache.engine, new_no)] == [new_id]
    cached = sqlite3.connect(cache.path).execute(
        "SELECT status FROM orders WHERE id = ?", (moved_id,)).fetchone()
    assert cached == (ORDER_STATUS[ops.NEXT_STATUS[old_status]],)  # stored as its code (0009)


def test_cursor_gone_resnapshots_and_keeps_outbox(store, cache):
    client = _first_sync(store, cache, page_size=100)
    mutation = str(uuid.uuid4())
    with sqlite3.connect(cache.path) as db:
        db.execute("INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload,"
                   " status, attempts, created_at, updated_at) VALUES (?, 'remark', 'orders', 1, 1,"
                   " '{}', 'pending', 0, '2026-11-11T02:13:00Z', '2026-11-11T02:13:00Z')", (mutation,))
    ops.bump_epoch(store.engine, store.shop_id)
    _, others, _, _, _ = _some_ids(store.engine, store.shop_id)
    ops.delete_order(store.engine, store.shop_id, others[0])  # lands after the new epoch

    summary = Puller(client, cache.writer, page_size=100).run_once()
    assert {s: summary.streams[s].resets for s in STREAM_ORDER} == dict.fromkeys(STREAM_ORDER, 1)
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    rows = sqlite3.connect(cache.path).execute("SELECT mutation_id, status FROM outbox").fetchall()
    assert rows == [(mutation, "pending")]


def _proxied(store, cache, fault: Fault | None = None):
    host, port = store.url.split("//")[1].rsplit(":", 1)
    proxy = FaultProxy((host, int(port)))
    if fault is not None:
        proxy.add(fault)
    return proxy, signed_in(proxy.url, store.login, store.password)


def test_connection_dropped_mid_page_is_retried(store, cache):
    proxy, client = _proxied(store, cache, Fault("/sync/orders/snapshot?cursor=", "cut"))
    try:
        Puller(client, cache.writer, page_size=50).run_once()
        assert proxy.faults[0].hits == 1
        assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    finally:
        proxy.close()


def test_connection_dropped_repeatedly_resumes_from_stored_cursor(store, cache):
    # Every attempt at the second orders page is cut (the client gives up after its retries);
    # the next run carries on from the cursor committed with the first page.
    proxy, client = _proxied(store, cache, Fault("/sync/orders/snapshot?cursor=", "cut", times=3))
    try:
        with pytest.raises(ServerUnreachable):
            Puller(client, cache.writer, page_size=50).run_once()
        state = get_stream_state(cache.engine, "orders")
        assert state.phase == "snapshot" and state.cursor is not None
        assert table_counts(cache.path)["orders"] == 50
        before = len(proxy.requests_seen)
        Puller(client, cache.writer, page_size=50).run_once()
        first_orders = next(r for r in proxy.requests_seen[before:] if "/sync/orders/" in r)
        assert "cursor=" in first_orders  # resumed, did not start the snapshot over
        assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    finally:
        proxy.close()


def _break_first_item(body: bytes) -> bytes:
    page = orjson.loads(body)
    del page["items"][0]["lines"][0]["qty"]
    return orjson.dumps(page)


def _missing_field(body: bytes) -> bytes:
    page = orjson.loads(body)
    del page["feed_cursor"]
    return orjson.dumps(page)


@pytest.mark.parametrize("rewrite, reason", [
    (_break_first_item, "lines[0].qty: Field required"),
    (lambda body: body[: len(body) // 2], "not JSON"),
    (lambda body: b"<html>502 Bad Gateway</html>", "not JSON"),
    (_missing_field, "feed_cursor: Field required"),
])
def test_malformed_snapshot_page_changes_nothing(store, cache, rewrite, reason):
    proxy, client = _proxied(store, cache, Fault("/sync/orders/snapshot?cursor=", "rewrite", rewrite))
    errors: list[str] = []
    try:
        with pytest.raises(PayloadError) as err:
            Puller(client, cache.writer, page_size=50).run_once()
        errors.append(err.value.user_message)
        assert reason in str(err.value)
        state, counts = sync_state_rows(cache.path)["orders"], table_counts(cache.path)
        assert counts["orders"] == 50 and state[1] is not None  # the first page, not the bad one
        # The next run (the server answers properly again) continues from the same cursor.
        Puller(client, cache.writer, page_size=50).run_once()
        assert_cache_equals_server(store.engine, store.shop_id, cache.path)
        assert errors == ["The store server sent data this workstation cannot read."]
    finally:
        proxy.close()


def test_malformed_change_page_keeps_cursor(store, cache):
    proxy, client = _proxied(store, cache)
    try:
        Puller(client, cache.writer, page_size=100).run_once()
        _, others, _, _, _ = _some_ids(store.engine, store.shop_id)
        ops.set_remark(store.engine, store.shop_id, others[2], "坏数据", 2, "1024")

        def bad_remark_flag(body: bytes) -> bytes:
            page = orjson.loads(body)
            for change in page["changes"]:
                change["item"]["remark_flag"] = 42
            return orjson.dumps(page)

        proxy.add(Fault("/sync/orders/changes", "rewrite", bad_remark_flag))
        before = sync_state_rows(cache.path)["orders"]
        with pytest.raises(PayloadError, match="remark_flag"):
            Puller(client, cache.writer, page_size=100).run_once()
        assert sync_state_rows(cache.path)["orders"] == before
        remark = sqlite3.connect(cache.path).execute(
            "SELECT remark FROM orders WHERE id = ?", (others[2],)).fetchone()[0]
        assert remark != "坏数据"
        Puller(client, cache.writer, page_size=100).run_once()
        assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    finally:
        proxy.close()


def test_expired_token_is_auth_expired(store, cache):
    client = signed_in(store.url, store.login, store.password)
    with store.engine.begin() as conn:
        conn.execute(update(AuthSession).values(expires_at=datetime.utcnow() - timedelta(hours=1)))
    with pytest.raises(AuthExpired) as err:
        Puller(client, cache.writer).run_once()
    assert err.value.reason == "token_expired"
    assert sync_state_rows(cache.path) == {}


def test_wrong_password_is_bad_credentials(store):
    with pytest.raises(BadCredentials):
        StoreClient(store.url).login(store.login, "not-the-password")


def test_unreachable_server(cache):
    client = StoreClient(f"http://127.0.0.1:{closed_port()}", token="x", timeout=(2, 5))
    with pytest.raises(ServerUnreachable):
        Puller(client, cache.writer).run_once()


def test_cancel_between_pages(store, cache):
    import threading

    cancel = threading.Event()

    def stop_after_first_orders_page(p: SyncProgress) -> None:
        if p.stream == "orders":
            cancel.set()

    client = signed_in(store.url, store.login, store.password)
    summary = Puller(client, cache.writer, page_size=50, cancel=cancel,
                     on_progress=stop_after_first_orders_page).run_once()
    assert summary.cancelled and summary.streams["orders"].snapshot_pages == 1
    assert table_counts(cache.path)["orders"] == 50
