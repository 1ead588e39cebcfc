"""The sync loop through a bad network and through its own bugs, against a real store over
real HTTP (a misbehaving loopback proxy in between): it stays calm, notices the network
coming back, restarts after a bug and says so, can be woken, and writes only through the
cache's one writer."""
from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import event, select

from storeserver import ops
from storeserver.models import Order, Stock
from tests.sync.chaos import Chaos, target_of, wait_until
from tests.sync.helpers import assert_cache_equals_server
from workstation.models import apply as apply_module
from workstation.models.search import search_orders
from workstation.models.state import last_failure
from workstation.sync.client import StoreClient
from workstation.sync.errors import PayloadError, ServerUnreachable, SyncBug
from workstation.sync.service import SyncService

LIMIT_S = 60.0  # generous bound on each wait; the tests assert outcomes, not durations


class Run:
    """A SyncService on its own thread, recording what it reports."""

    def __init__(self, client: StoreClient, cache, **kw) -> None:
        self.states: list[str] = []
        self.errors: list[Exception] = []
        kw = {"page_size": 100, "long_poll_s": 20, "backoff_first_s": 0.2, "backoff_max_s": 2.0,
              "probe_interval_s": 0.3, **kw}
        self.service = SyncService(client, cache.writer, on_state=self.states.append,
                                   on_error=self.errors.append, **kw)
        self.result: list = []
        self.thread = threading.Thread(target=lambda: self.result.append(self.service.run()),
                                       daemon=True)
        self.thread.start()

    def online(self) -> bool:
        return bool(self.states) and self.states[-1] == "online"

    def stop(self) -> None:
        self.service.stop()
        self.thread.join(timeout=LIMIT_S)
        assert not self.thread.is_alive()


def _client(url: str, store) -> StoreClient:
    client = StoreClient(url, timeout=(2, 10))
    client.login(store.login, store.password)
    return client


def test_first_load_through_a_flaky_network_is_exact_and_never_says_offline(store, cache):
    """5% each of dropped requests and responses, resets, cut bodies, headers cut short, 503,
    429 and delays: the cache ends exactly equal to the server, and the agent never saw
    "offline" (the server kept answering; blips are retried quietly)."""
    with Chaos.every(target_of(store.url), 0.05, max_delay_s=0.3, seed=7) as chaos:
        client = _client(store.url, store)  # sign in directly; sync goes through the chaos
        client.base_url = chaos.url
        payload_errors: list[PayloadError] = []

        def recording(method):
            def call(*args, **kw):
                try:
                    return method(*args, **kw)
                except PayloadError as exc:  # a cut connection taken for bad data
                    payload_errors.append(exc)
                    raise
            return call

        client.snapshot, client.changes = recording(client.snapshot), recording(client.changes)
        run = Run(client, cache, page_size=400)
        try:
            wait_until(run.online, LIMIT_S, "online through the faults")
        finally:
            run.stop()
        assert sum(chaos.counts.values()) >= 5, chaos.counts  # the faults really happened
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    assert "offline" not in run.states, (run.states, run.errors)
    assert payload_errors == [] and run.errors == []


def test_offline_is_said_once_and_the_network_coming_back_is_noticed_at_once(store, cache, caplog):
    with Chaos(target_of(store.url)) as chaos:
        client = _client(store.url, store)
        client.base_url = chaos.url
        # A long backoff for the heavy work: only the probe can bring it back quickly.
        run = Run(client, cache, backoff_first_s=30, backoff_max_s=30, long_poll_s=1)
        try:
            wait_until(run.online, LIMIT_S, "online")
            with caplog.at_level(logging.INFO, logger="workstation.sync.service"):
                chaos.set_mode("down")
                wait_until(lambda: run.states[-1] == "offline", LIMIT_S, "offline")
                time.sleep(1.5)  # several probes fail meanwhile
                offline_logs = [r for r in caplog.records if "offline (" in r.getMessage()]
                assert len(offline_logs) == 1, [r.getMessage() for r in caplog.records]
                assert run.states.count("offline") == 1
                assert len([e for e in run.errors if isinstance(e, ServerUnreachable)]) == 1
                failure = last_failure(cache.engine)
                assert failure is not None and "server_unreachable" in failure.reason

                back_at = time.monotonic()
                chaos.set_mode("pass")
                wait_until(run.online, LIMIT_S, "online again")
                # Far inside the 30 s backoff: the probe noticed the network.
                assert time.monotonic() - back_at < 15
            assert any("again after" in r.getMessage() for r in caplog.records)
            wait_until(lambda: last_failure(cache.engine) is None, LIMIT_S, "failure cleared")
        finally:
            run.stop()


def test_a_bug_in_apply_restarts_the_loop_and_is_reported_as_a_bug(store, cache, monkeypatch, caplog):
    real = apply_module.apply_snapshot_page
    calls = {"n": 0}

    def buggy(engine, stream, *args, **kw):
        if stream == "orders":
            calls["n"] += 1
            if calls["n"] < 4:
                raise KeyError("remark_flag")  # what a wire/apply mismatch looks like
        return real(engine, stream, *args, **kw)

    monkeypatch.setattr("workstation.sync.puller.apply_snapshot_page", buggy)
    client = _client(store.url, store)
    with caplog.at_level(logging.ERROR, logger="workstation.sync.service"):
        run = Run(client, cache, bug_backoff_first_s=0.2, bug_backoff_max_s=0.5)
        try:
            wait_until(run.online, LIMIT_S, "online after the bug went away")
        finally:
            run.stop()
    bugs = [e for e in run.errors if isinstance(e, SyncBug)]
    assert len(bugs) == 1 and isinstance(bugs[0].original, KeyError)  # told once, not per restart
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "KeyError" in str(tracebacks[0].exc_info[1].__class__)
    assert run.result == ["stopped"]
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_wake_ends_the_long_poll_without_ending_the_client(store, cache):
    client = _client(store.url, store)
    heads = {"n": 0}
    real_head = client.head

    def counting_head():
        head = real_head()  # counted only when it got through: the client still works
        heads["n"] += 1
        return head

    client.head = counting_head
    run = Run(client, cache, long_poll_s=30)
    try:
        wait_until(run.online, LIMIT_S, "online")
        time.sleep(0.3)  # parked in the 30 s long poll now
        before = heads["n"]
        run.service.wake()
        wait_until(lambda: heads["n"] > before, 10, "a new cycle after wake")  # not after 30 s
        run.service.wake()
        wait_until(lambda: heads["n"] > before + 1, 10, "woken again: the client still works")
    finally:
        run.stop()
    assert run.result == ["stopped"] and run.errors == []


def test_an_urgent_stream_is_caught_up_in_the_middle_of_a_long_first_load(store_factory, cache):
    """While orders load page by page, a stock change woken for arrives before the orders are
    done: small urgent streams never wait behind a big catch-up (the puller applies pages
    fetched ahead together, but not while a stream is asked for urgently)."""
    store = store_factory(orders=1500)
    with store.engine.connect() as conn:
        stock_id = conn.execute(select(Stock.id).where(Stock.shop_id == store.shop_id).limit(1)).scalar_one()
    order_pages: list[int] = []
    seen_stock_at: list[int] = []
    fired = threading.Event()
    holder: dict = {}

    def on_change(changes) -> None:
        if changes.get("orders") is not None:
            order_pages.append(len(changes.get("orders").upserted))
            if len(order_pages) == 2 and not fired.is_set():
                fired.set()
                ops.set_stock_qty(store.engine, store.shop_id, stock_id, 4321)
                holder["run"].service.wake({"stock"})
        stock = changes.get("stock")
        if stock is not None and stock_id in stock.upserted and fired.is_set():
            seen_stock_at.append(sum(order_pages))  # orders loaded when it arrived

    cache.writer.add_listener(on_change)
    client = _client(store.url, store)
    holder["run"] = run = Run(client, cache, page_size=50)
    try:
        wait_until(run.online, LIMIT_S, "online")
    finally:
        run.stop()
    assert seen_stock_at, "the woken stock change never arrived"
    assert seen_stock_at[0] < sum(order_pages) - 5 * 50, (seen_stock_at, sum(order_pages))  # 5+ pages to go


def test_a_reloaded_stream_keeps_answering_lookups_while_it_loads(store, cache):
    """410 cursor_gone: the stream is loaded afresh beside its rows. In the middle of the
    reload a lookup still finds the oldest order, and an order a colleague changes meanwhile
    (in a range not loaded yet) is never taken away from the agent; at the end the cache
    equals the server again, the deleted order gone."""
    client = _client(store.url, store)
    run = Run(client, cache, long_poll_s=1, page_size=40)
    try:
        wait_until(run.online, LIMIT_S, "first load")
    finally:
        run.stop()
    with store.engine.connect() as conn:
        oldest = conn.execute(select(Order.id, Order.order_no).where(Order.shop_id == store.shop_id)
                              .order_by(Order.id).limit(1)).one()
    ops.delete_order(store.engine, store.shop_id, oldest.id + 1)
    ops.bump_epoch(store.engine, store.shop_id)  # every cursor is gone now
    mid_reload: list[bool] = []
    deleted: set[int] = set()

    def on_progress(progress) -> None:
        if progress.stream == "orders" and progress.phase == "snapshot" and not mid_reload:
            mid_reload.append(bool(search_orders(cache.engine, oldest.order_no)))
            ops.set_remark(store.engine, store.shop_id, oldest.id, "重新加载时改的备注", 2, "2048")

    def on_change(changes) -> None:
        orders = changes.get("orders")
        if orders is not None:
            deleted.update(orders.deleted)

    cache.writer.add_listener(on_change)
    run = Run(_client(store.url, store), cache, long_poll_s=1, page_size=40, on_progress=on_progress)
    try:
        wait_until(run.online, LIMIT_S, "reloaded")
    finally:
        run.stop()
    assert mid_reload == [True]
    assert deleted == {oldest.id + 1}  # the changed order was never swept away
    assert search_orders(cache.engine, oldest.order_no)[0].remark == "重新加载时改的备注"
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_every_sync_write_goes_through_the_one_writer(store, cache):
    """No write transaction ever starts outside the writer thread, while sync pages and other
    writes (here: sync-attempt records from another thread) arrive together."""
    from workstation.models.state import record_attempt

    threads: list[int] = []

    @event.listens_for(cache.engine, "commit")
    def _commit(conn):  # reads end in a rollback: every commit is a write
        threads.append(threading.get_ident())

    stop = threading.Event()

    def other_writes() -> None:
        while not stop.is_set():
            cache.writer.submit(record_attempt, None).result()
            time.sleep(0.01)

    side = threading.Thread(target=other_writes, daemon=True)
    side.start()
    run = Run(_client(store.url, store), cache, page_size=30)
    try:
        wait_until(run.online, LIMIT_S, "online")
    finally:
        run.stop()
        stop.set()
        side.join(timeout=10)
    assert len(threads) > 20
    assert set(threads) == {cache.writer.thread_id}


def test_two_writers_never_interleave(cache):
    spans: list[tuple[float, float, int]] = []
    lock = threading.Lock()

    def job(engine, k):
        start = time.perf_counter()
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM orders").scalar()
        time.sleep(0.002)
        with lock:
            spans.append((start, time.perf_counter(), threading.get_ident()))
        return k

    results: list = []

    def client(n):
        for k in range(20):
            results.append(cache.writer.submit(job, n * 100 + k))

    workers = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(f.result() for f in results) == sorted(n * 100 + k for n in range(4) for k in range(20))
    spans.sort()
    assert {t for _, _, t in spans} == {cache.writer.thread_id}
    assert all(a_end <= b_start for (_, a_end, _), (b_start, _, _) in zip(spans, spans[1:]))


def test_a_failure_that_repeats_while_the_server_answers_is_reported_not_retried_quietly(store, cache):
    """A page that always fails with 500 (a server bug) while everything else answers is not
    a blip: the agent is told, and the loop backs off instead of hammering the server."""
    from workstation.sync.errors import ServerFailure

    client = _client(store.url, store)
    calls = {"n": 0}
    real_changes = client.changes

    def broken_changes(stream, cursor, limit):
        if stream == "stock":
            calls["n"] += 1
            raise ServerFailure(500, "GET /sync/stock/changes -> 500 internal_error")
        return real_changes(stream, cursor, limit)

    client.changes = broken_changes
    run = Run(client, cache, backoff_first_s=1.0, backoff_max_s=2.0)
    try:
        wait_until(lambda: any(isinstance(e, ServerFailure) for e in run.errors), LIMIT_S, "reported")
        time.sleep(2.0)
        tries_in_2s = calls["n"]
    finally:
        run.stop()
    assert "offline" in run.states
    assert len([e for e in run.errors if isinstance(e, ServerFailure)]) == 1  # told once
    assert tries_in_2s <= 6  # backing off, not ~3 tries a second forever


def test_a_remark_written_during_a_long_first_load_is_sent_before_the_load_ends(store_factory, cache,
                                                                                  monkeypatch):
    """The agent's write never waits behind a big catch-up: it is pushed between two batches
    of pages (at most `SNAPSHOT_BATCH` orders each; made small here, so the load has many)."""
    from sqlalchemy import text as sql

    from workstation.models import remarks
    from workstation.sync import puller

    monkeypatch.setattr(puller, "SNAPSHOT_BATCH", 100)  # two pages of 50 per transaction at most

    store = store_factory(orders=1500)
    with store.engine.connect() as conn:
        order_id = conn.execute(select(Order.id).where(Order.shop_id == store.shop_id)
                                .order_by(Order.id.desc()).limit(1)).scalar_one()
    pages: list[int] = []
    sent_at_page: list[int] = []
    holder: dict = {}

    def on_progress(progress) -> None:
        if progress.stream != "orders" or progress.phase != "snapshot":
            return
        pages.append(1)
        if len(pages) == 2:  # the newest orders are in: the agent writes a remark on one
            holder["run"].service.submit_write(remarks.save_remark, order_id, text="加急发货",
                                               flag=1, reason="买家催单", agent_no="1024").result(10)
        elif len(pages) > 2 and not sent_at_page:
            with store.engine.connect() as conn:
                remark = conn.execute(sql("SELECT remark FROM orders WHERE id = :i"), {"i": order_id}).scalar_one()
            if remark.startswith("加急发货"):
                sent_at_page.append(len(pages))

    holder["run"] = run = Run(_client(store.url, store), cache, page_size=50, on_progress=on_progress)
    try:
        wait_until(run.online, LIMIT_S, "online")
    finally:
        run.stop()
    assert sent_at_page and sent_at_page[0] < len(pages) - 5, (sent_at_page, len(pages))
