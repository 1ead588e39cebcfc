"""SyncService in a worker thread against a real storeserver process that stops and returns."""
from __future__ import annotations

import queue
import sqlite3
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from storeserver import ops
from storeserver.db import make_engine
from storeserver.models import AuthSession, Order
from tests.sync.procs import ServerProcess
from workstation.sync.client import StoreClient
from workstation.sync.errors import AuthExpired, ServerFailure, ServerUnreachable
from workstation.sync.service import INLINE_CHANGES, SyncService

LIMIT_S = 90.0  # generous bound on each wait; the test asserts outcomes, never durations


class Recorder:
    def __init__(self) -> None:
        self.states: queue.Queue[str] = queue.Queue()
        self.history: list[str] = []
        self.errors: list[Exception] = []
        self.synced: list[datetime] = []

    def on_state(self, state: str) -> None:
        self.history.append(state)
        self.states.put(state)

    def await_state(self, wanted: str) -> None:
        deadline = time.monotonic() + LIMIT_S
        while time.monotonic() < deadline:
            try:
                if self.states.get(timeout=1) == wanted:
                    return
            except queue.Empty:
                pass
        raise AssertionError(f"state {wanted!r} never came; history {self.history}, errors {self.errors}")


def await_true(check, what: str) -> None:
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def cached_remark(cache_path, order_id: int) -> str | None:
    db = sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT remark FROM orders WHERE id = ?", (order_id,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def start_service(client, cache, rec: Recorder) -> tuple[SyncService, threading.Thread, list]:
    service = SyncService(client, cache.writer, on_state=rec.on_state, on_error=rec.errors.append,
                          on_synced=rec.synced.append, page_size=200, long_poll_s=10,
                          backoff_first_s=0.2, backoff_max_s=1.0)
    result: list = []
    thread = threading.Thread(target=lambda: result.append(service.run()), daemon=True)
    thread.start()
    return service, thread, result


@pytest.mark.slow
def test_online_live_change_offline_and_back(tmp_path, cache):
    db_url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server = ServerProcess(db_url, seed_demo=300)
    engine = make_engine(db_url)
    rec = Recorder()
    client = StoreClient(server.url, timeout=(2, 10))
    client.login("demo", "demo")
    service, thread, result = start_service(client, cache, rec)
    try:
        rec.await_state("online")
        assert rec.synced and rec.history[:2] == ["syncing", "online"]
        with engine.connect() as conn:
            order_id, shop_id = conn.execute(select(Order.id, Order.shop_id).limit(1)).one()

        # A change on the server arrives through the long poll.
        ops.set_remark(engine, shop_id, order_id, "请尽快发货", 1, "1024")
        await_true(lambda: cached_remark(cache.path, order_id) == "请尽快发货", "live remark")

        # The server goes away: offline (with the error reported), and it keeps trying.
        port = server.port
        server.kill()
        rec.await_state("offline")
        assert any(isinstance(e, ServerUnreachable) for e in rec.errors), rec.errors

        # A change made while the workstation was offline arrives once the server is back.
        ops.set_remark(engine, shop_id, order_id, "已改地址", 2, "1024")
        server = ServerProcess(db_url, port=port)
        rec.await_state("online")
        await_true(lambda: cached_remark(cache.path, order_id) == "已改地址", "remark after outage")
        assert all(isinstance(e, (ServerUnreachable, ServerFailure)) for e in rec.errors), rec.errors
    finally:
        service.stop()
        thread.join(timeout=LIMIT_S)
        server.kill()
        engine.dispose()
    assert not thread.is_alive() and result == ["stopped"]


def test_stop_interrupts_long_poll_promptly(store, cache):
    rec = Recorder()
    client = StoreClient(store.url)
    client.login(store.login, store.password)
    service = SyncService(client, cache.writer, on_state=rec.on_state, on_error=rec.errors.append,
                          long_poll_s=30)
    result: list = []
    thread = threading.Thread(target=lambda: result.append(service.run()), daemon=True)
    thread.start()
    rec.await_state("online")  # now parked in a 30 s long poll
    service.stop()
    thread.join(timeout=10)  # far below the long poll: only an interrupted poll gets here
    assert not thread.is_alive() and result == ["stopped"]


def test_expired_session_stops_the_loop(store, cache):
    rec = Recorder()
    client = StoreClient(store.url)
    client.login(store.login, store.password)
    with store.engine.begin() as conn:
        conn.execute(update(AuthSession).values(expires_at=datetime.utcnow() - timedelta(hours=1)))
    service, thread, result = start_service(client, cache, rec)
    thread.join(timeout=LIMIT_S)
    assert not thread.is_alive() and result == ["auth_expired"]
    assert [type(e) for e in rec.errors] == [AuthExpired]
    assert rec.history[-1] == "offline"


def test_long_poll_answers_when_the_shop_changes(store):
    client = StoreClient(store.url)
    client.login(store.login, store.password)
    head = client.head()
    assert client.wait(head.seq, 0).seq == head.seq  # nothing new: answered at the timeout
    with store.engine.connect() as conn:
        order_id = conn.execute(select(Order.id).limit(1)).scalar_one()
    timer = threading.Timer(0.5, ops.set_remark, (store.engine, store.shop_id, order_id, "x", 3, "1024"))
    timer.start()
    try:
        assert client.wait(head.seq, 30).seq > head.seq
    finally:
        timer.join()


class CountingClient(StoreClient):
    """The real client, noting which streams' change feeds it asked for."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.pulled: list[str] = []

    def changes(self, stream, cursor, limit):
        self.pulled.append(stream)
        return super().changes(stream, cursor, limit)


def cached_stock(path, stock_id: int) -> int | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT qty FROM stock WHERE id = ?", (stock_id,)).fetchone()
    return row[0] if row else None


def _count_many_stock(store, n: int) -> int:
    """One back-office transaction changing `n` stock rows; returns stock 1's new count."""
    from storeserver.db import write_txn
    from storeserver.models import Stock

    with write_txn(store.engine) as conn:
        ids = conn.execute(select(Stock.id).where(Stock.shop_id == store.shop_id)
                           .order_by(Stock.id).limit(n)).scalars().all()
        assert len(ids) == n and ids[0] == 1
        first = ops.reserve_seq(conn, store.shop_id, n)
        for k, stock_id in enumerate(ids):
            conn.execute(update(Stock.__table__).where(Stock.id == stock_id).values(qty=7000 + k, seq=first + k))
    return 7000


def test_a_live_change_pulls_only_the_streams_that_moved(store, cache):
    """The long poll names what moved and carries its changes: a stock count costs a woken
    workstation no request beyond the poll's answer (at 50 agents a buyer's message once
    woke 450 requests); a bigger change is pulled, and only for the streams that moved."""
    rec = Recorder()
    client = CountingClient(store.url)
    client.login(store.login, store.password)
    service, thread, result = start_service(client, cache, rec)
    try:
        rec.await_state("online")
        await_true(lambda: cached_stock(cache.path, 1) is not None, "first load")
        time.sleep(0.3)  # the first cycle's long poll is waiting
        client.pulled.clear()
        ops.set_stock_qty(store.engine, store.shop_id, 1, 4321)
        await_true(lambda: cached_stock(cache.path, 1) == 4321, "live stock count")
        assert client.pulled == [], client.pulled  # the answer's inlined page
        client.pulled.clear()
        first = _count_many_stock(store, INLINE_CHANGES + 1)  # more than an answer inlines
        await_true(lambda: cached_stock(cache.path, 1) == first, "a big stock count")
        assert set(client.pulled) == {"stock"}, client.pulled
        # A wake-up (an agent's write, "Sync now") still pulls everything.
        client.pulled.clear()
        service.wake()
        await_true(lambda: len(set(client.pulled)) > 1, "a full pull after wake()")
    finally:
        service.stop()
        thread.join(timeout=LIMIT_S)
    assert result == ["stopped"]
