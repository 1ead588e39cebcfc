"""Live events across server processes (storeserver/notify.py, docs/PROTOCOL.md "Live events").

Real servers over real databases: `storeserver serve` child processes over one PostgreSQL
database, in-thread servers where the test needs to look inside (the statement counter,
the listener's backend), and two servers on one SQLite file.
"""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack

import pytest
import requests
from sqlalchemy import create_engine, event, select, text

from storeserver import answering, ops
from storeserver.api import create_app
from storeserver.loadtest import start_server, stop_server
from storeserver.models import Order
from storeserver.notify import LISTENER_APPLICATION_NAME, PgNotifier
from storeserver.testing import serve_in_thread
from tests.fixtures_server import _fresh_engine

ORDERS = 40


@pytest.fixture
def pg_shop(_store_templates, tmp_path):
    """A fresh PostgreSQL database holding the seeded demo shop: (engine, shop id)."""
    template, shop_id = _store_templates.seeded_template("postgresql", ORDERS, 1)
    with ExitStack() as stack:
        yield _fresh_engine("postgresql", _store_templates, tmp_path, stack, template), shop_id


def db_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def sign_in(base: str) -> str:
    r = requests.post(base + "/api/v1/auth/login", json={"login": "demo", "password": "demo"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def get(base: str, path: str, token: str, read_timeout: float = 10, **params) -> dict:
    r = requests.get(base + "/api/v1" + path, params=params, timeout=(3, read_timeout),
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


class Waiting:
    """A /sync/wait in a thread (server timeout 30 s, client read timeout 15 s: only an
    early answer succeeds)."""

    def __init__(self, base: str, token: str, after: int):
        self.result: dict | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(base, token, after), daemon=True)
        self._thread.start()

    def _run(self, base, token, after) -> None:
        try:
            self.result = get(base, "/sync/wait", token, read_timeout=15, after=after, timeout=30)
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.error = exc

    def join(self) -> dict:
        self._thread.join(20)
        if self.error is not None:
            raise self.error
        assert self.result is not None, "the long poll did not answer"
        return self.result


def listeners(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND application_name = :app"), {"app": LISTENER_APPLICATION_NAME}).scalar_one()


def until(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def write_remark_over_http(base: str, token: str, engine, order_id: int = 1) -> int:
    """An agent's remark through POST /mutations of that server; returns the order's new seq."""
    import uuid

    with engine.connect() as conn:
        version = conn.execute(select(Order.remark_version).where(Order.id == order_id)).scalar_one()
    r = requests.post(base + "/api/v1/mutations", timeout=10, headers={"Authorization": f"Bearer {token}"},
                      json={"mutations": [{"mutation_id": str(uuid.uuid4()), "kind": "order.remark",
                                           "entity_id": order_id, "base_version": version,
                                           "payload": {"text": "改发顺丰", "flag": 1, "reason": "客户要求"}}]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text
    return r.json()["results"][0]["seq"]


def test_a_write_through_one_process_wakes_a_waiter_on_another(pg_shop):
    engine, _ = pg_shop
    with ExitStack() as stack:
        servers = []
        for _ in range(2):
            proc, base = start_server(db_url(engine), seed_demo=0)
            stack.callback(stop_server, proc)
            servers.append(base)
        a, b = servers
        token = sign_in(a)  # a token is a database row: it works on every process
        head = get(b, "/sync/head", token)["seq"]
        until(lambda: listeners(engine) == 2, "one listener connection per process")

        waiting = Waiting(b, token, head)
        seq = write_remark_over_http(a, token, engine)
        assert waiting.join()["seq"] == seq > head


def test_a_sign_out_through_one_process_ends_the_token_on_another_that_remembers_it(pg_shop):
    """Each process trusts a token it checked a moment ago (docs/PROTOCOL.md "Auth"); a
    sign-out elsewhere must still end it there at once, not when that memory runs out (here
    an hour, so only the sign-out's notification can end it)."""
    engine, _ = pg_shop
    with ExitStack() as stack:
        engines = [create_engine(engine.url) for _ in range(2)]
        for e in engines:
            stack.callback(e.dispose)
        apps = [create_app(e, checked_for_s=3600) for e in engines]
        a, b = (stack.enter_context(serve_in_thread(app)) for app in apps)
        token = sign_in(a)
        get(b, "/sync/wait", token, after=0, timeout=0)  # b's listener starts with its first long poll
        until(lambda: apps[1].state.notifier.hears_sign_outs(), "b's listener")
        get(b, "/me", token)
        reads = count_statements(engines[1])
        get(b, "/me", token)
        assert reads[0] == 0  # b answers from what it remembers

        r = requests.post(a + "/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 204
        refused = lambda: requests.get(b + "/api/v1/me", timeout=10,  # noqa: E731
                                       headers={"Authorization": f"Bearer {token}"}).status_code == 401
        until(refused, "b to refuse the signed-out token")
        r = requests.get(b + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.json()["code"] == "bad_token"


def test_serve_workers_2_serves_and_wakes_a_waiter(pg_shop):
    engine, shop_id = pg_shop
    proc, base = start_server(db_url(engine), seed_demo=0, workers=2)
    try:
        token = sign_in(base)
        head = get(base, "/sync/head", token)["seq"]
        until(lambda: listeners(engine) == 2, "a listener in each of the 2 workers (from start-up)")
        waiters = [Waiting(base, token, head) for _ in range(4)]
        seq = ops.set_stock_qty(engine, shop_id, 1, 9)  # the back office, a third process's write
        assert [w.join()["seq"] for w in waiters] == [seq] * 4
    finally:
        stop_server(proc)


def test_workers_on_sqlite_are_refused_with_a_reason(tmp_path):
    import subprocess
    import sys

    from storeserver.loadtest import ROOT, child_env

    out = subprocess.run([sys.executable, "-m", "storeserver", "serve", "--workers", "2", "--port", "0",
                          "--database-url", f"sqlite:///{tmp_path / 'w.sqlite3'}"],
                         cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "--workers > 1 needs PostgreSQL" in out.stderr


def count_statements(engine) -> list[int]:
    box = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        box[0] += 1
    return box


def test_waiting_long_polls_cost_the_database_nothing_while_idle(pg_shop):
    """40 long polls over two servers (each its own engine and listener) for 2 s: each costs
    its sign-in check and one head read, nothing while it waits. (The 0.2 s polling this
    replaced read the head 10 times per wait.)"""
    engine, _ = pg_shop
    waits, timeout = 40, 2.0
    with ExitStack() as stack:
        engines = [create_engine(engine.url) for _ in range(2)]
        for e in engines:
            stack.callback(e.dispose)
        bases = [stack.enter_context(serve_in_thread(create_app(e))) for e in engines]
        token = sign_in(bases[0])
        head = get(bases[0], "/sync/head", token)["seq"]
        for base in bases:
            get(base, "/sync/wait", token, after=head, timeout=0)
        counters = [count_statements(e) for e in engines]
        threads = [threading.Thread(target=get, args=(bases[i % 2], "/sync/wait", token),
                                    kwargs={"after": head, "timeout": timeout}) for i in range(waits)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        statements = sum(c[0] for c in counters)
    assert statements <= 2 * waits, statements  # the token check and one head read each


def test_the_listener_survives_a_dropped_connection(pg_shop):
    engine, shop_id = pg_shop
    app = create_app(engine)
    notifier = app.state.notifier
    assert isinstance(notifier, PgNotifier)
    with serve_in_thread(app) as base:
        token = sign_in(base)
        head = get(base, "/sync/wait", token, after=0, timeout=0)["seq"]
        until(lambda: notifier.connects == 1, "the listener")
        waiting = Waiting(base, token, head)
        until(lambda: notifier.fanout.count() == 1, "the waiter to subscribe")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                                {"pid": notifier.backend_pid}).scalar_one()
        # Written while the listener may still be away: the waiter wakes anyway (a NOTIFY
        # once it is back, or the wake-everyone-and-re-read that follows each reconnect).
        seq = ops.set_stock_qty(engine, shop_id, 1, 3)
        assert waiting.join()["seq"] == seq
        until(lambda: notifier.connects == 2, "the listener to reconnect")
        waiting = Waiting(base, token, seq)
        until(lambda: notifier.fanout.count() == 1, "the second waiter to subscribe")
        seq2 = ops.set_stock_qty(engine, shop_id, 1, 4)
        assert waiting.join()["seq"] == seq2
        assert notifier.connects == 2


def test_sqlite_wakes_waiters_of_every_server_on_the_file_in_this_process(store_factory):
    """The embedded default: an in-process wake-up after commit, shared by every engine on
    the same database file (here two servers, each with its own engine)."""
    from storeserver.db import make_engine

    store = store_factory(kind="sqlite", orders=ORDERS)
    other = make_engine(store.engine.url.render_as_string())
    try:
        with serve_in_thread(create_app(other)) as base_b:
            token = sign_in(store.url)
            head = get(store.url, "/sync/head", token)["seq"]
            waiting = Waiting(base_b, token, head)
            seq = write_remark_over_http(store.url, token, store.engine)
            assert waiting.join()["seq"] == seq > head
    finally:
        other.dispose()


def test_one_notification_per_shop_per_transaction_naming_the_buyers(server_engine):
    """What travels: at most one notification per shop per transaction, sent only if it
    commits; a message written for a buyer names that buyer (so only their relay wait wakes)."""
    from storeserver import notify
    from storeserver.db import write_txn

    sent: list[tuple[int, object]] = []
    woken: list[dict] = []

    class Recording(notify.Notifier):
        def send(self, conn, shop_id, buyers):
            sent.append((shop_id, buyers))

        def committed(self, published):
            woken.append(published)

    notify.install(server_engine, Recording())
    shop = ops.create_shop(server_engine, "小店")
    sent.clear(), woken.clear()
    with write_txn(server_engine) as conn:
        ops.reserve_seq(conn, shop, 2)
        ops.reserve_seq(conn, shop)
        notify.publish(conn, shop, buyer_id=12)
        notify.publish(conn, shop, buyer_id=34)
        ops.reserve_seq(conn, shop, 0)  # the lock alone: no change
    assert sent == [(shop, frozenset({12, 34}))]
    assert woken == [{shop: frozenset({12, 34})}]
    sent.clear(), woken.clear()
    with pytest.raises(RuntimeError), write_txn(server_engine) as conn:
        ops.reserve_seq(conn, shop)
        raise RuntimeError("rolled back")
    assert sent == [] and woken == []
    with write_txn(server_engine) as conn:
        ops.reserve_seq(conn, shop, 0)
    assert sent == [] and woken == []
    assert notify.decode_payload(notify.encode_payload(5, frozenset({12, 34}))) == (5, frozenset({12, 34}))
    assert notify.decode_payload(notify.encode_payload(5, frozenset())) == (5, frozenset())
    assert notify.encode_payload(5, frozenset(range(10**6, 10**6 + 2000))) == "5 *"  # stays small


def test_a_buyer_waits_for_its_own_messages_a_shop_waiter_for_every_change():
    import asyncio

    from storeserver import notify

    async def scenario():
        n = notify.LocalNotifier()
        async with n.subscribe(5) as shop, n.subscribe(5, buyer_id=12) as buyer12, \
                n.subscribe(5, buyer_id=34) as buyer34, n.subscribe(6) as other_shop:
            n.committed({5: frozenset()})  # a stock count: no buyer's message
            assert await shop.wait(2) and not await buyer12.wait(0.05)
            n.committed({5: frozenset({12})})  # an agent answered buyer 12
            assert await shop.wait(2) and await buyer12.wait(2)
            assert not await buyer34.wait(0.05) and not await other_shop.wait(0.05)
            n.fanout.wake_all()  # e.g. the listener reconnected: everyone reads again
            assert all([await w.wait(2) for w in (shop, buyer12, buyer34, other_shop)])
        assert n.fanout.count() == 0

    asyncio.run(scenario())


def relay_post(base: str, buyer_id: int, text_: str) -> dict:
    import uuid

    r = requests.post(base + "/api/v1/relay/messages", timeout=10, headers={"Authorization": "Relay demo-relay-key"},
                      json={"client_id": str(uuid.uuid4()), "buyer_id": buyer_id, "text": text_, "product_id": None})
    assert r.status_code == 200, r.text
    return r.json()


def agent_reply(base: str, token: str, engine, conversation_id: int, after_message_id: int, text_: str) -> dict:
    import uuid

    from storeserver.models import Conversation

    with engine.connect() as conn:
        version = conn.execute(select(Conversation.version).where(Conversation.id == conversation_id)).scalar_one()
    r = requests.post(base + "/api/v1/mutations", timeout=10, headers={"Authorization": f"Bearer {token}"},
                      json={"mutations": [{"mutation_id": str(uuid.uuid4()), "kind": "message.reply",
                                           "entity_id": conversation_id, "base_version": version,
                                           "payload": {"text": text_, "after_message_id": after_message_id}}]})
    result = r.json()["results"][0]
    assert r.status_code == 200 and result["status"] == "applied", r.text
    return result["state"]


def test_an_agent_reply_through_one_process_wakes_the_buyer_waiting_on_another(pg_shop):
    from storeserver.models import Buyer

    engine, shop_id = pg_shop
    answering.set_settings(engine, shop_id, auto_reply_enabled=False)  # only the agent answers
    with engine.connect() as conn:
        buyer_id = conn.execute(select(Buyer.id).where(Buyer.shop_id == shop_id).order_by(Buyer.id)).scalars().first()
    with ExitStack() as stack:
        servers = []
        for _ in range(2):
            proc, base = start_server(db_url(engine), seed_demo=0)
            stack.callback(stop_server, proc)
            servers.append(base)
        a, b = servers
        until(lambda: listeners(engine) == 2, "one listener connection per process")
        sent = relay_post(b, buyer_id, "亲，今天能发货吗？")
        box: dict = {}

        def buyer_waits() -> None:  # server timeout 30 s, client 15 s: only an early answer passes
            r = requests.get(f"{b}/api/v1/relay/buyers/{buyer_id}/messages", timeout=(3, 15),
                             params={"after": sent["message"]["id"], "timeout": 30},
                             headers={"Authorization": "Relay demo-relay-key"})
            box["r"] = r

        t = threading.Thread(target=buyer_waits)
        t.start()
        reply = agent_reply(a, sign_in(a), engine, sent["conversation_id"], sent["message"]["id"], "亲，今天下午就发")
        t.join(20)
        assert box["r"].status_code == 200, box["r"].text
        assert [m["id"] for m in box["r"].json()["messages"]] == [reply["id"]]


def test_a_pooled_connection_dropped_while_idle_is_replaced_not_failed(pg_shop, monkeypatch):
    """The pool checks a connection that sat idle (instead of pinging on every request):
    one whose backend went away meanwhile (a database restart) is replaced, the request
    never sees it."""
    from storeserver import db

    engine, shop_id = pg_shop
    fresh = db.make_engine(db_url(engine))
    try:
        with fresh.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        monkeypatch.setattr(db, "PING_IDLE_S", 0.0)  # it has been idle long enough
        with fresh.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        fresh.dispose()
