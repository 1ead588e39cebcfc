"""/sync/wait?changes=n (the inlined change pages) and the remembered head (docs/PROTOCOL.md
"Head (cheap polling and live updates)" and "Live events" -> "Waiting"): real servers over
real databases, statements counted on the server's engine."""
from __future__ import annotations

import asyncio
import uuid
from contextlib import ExitStack

import pytest
import requests
from sqlalchemy import create_engine, event, select, text

from storeserver import cursors, longpoll, notify, ops
from storeserver.api import create_app
from storeserver.db import write_txn
from storeserver.loadtest import start_server, stop_server
from storeserver.models import Buyer, OrderLine
from storeserver.seed import DEMO_RELAY_KEY
from storeserver.testing import serve_in_thread

from .conftest import Api
from .test_live_events import (Waiting, db_url, get, pg_shop, sign_in, until,  # noqa: F401 - pg_shop: a fixture
                               write_remark_over_http)

RELAY = {"Authorization": f"Relay {DEMO_RELAY_KEY}"}


def buyer_says(base: str, engine, shop_id: int, text_: str = "亲，今天能发货吗？", nth: int = 0) -> dict:
    with engine.connect() as conn:
        buyer = conn.execute(select(Buyer.id).where(Buyer.shop_id == shop_id).order_by(Buyer.id)
                             .offset(nth).limit(1)).scalar_one()
    r = requests.post(base + "/api/v1/relay/messages", headers=RELAY, timeout=10,
                      json={"client_id": str(uuid.uuid4()), "buyer_id": buyer, "text": text_, "product_id": None})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_inlined_pages_are_what_the_changes_endpoint_answers(live, api):
    head = api.ok("/sync/head")
    after = head["seq"]
    from_after = cursors.feed_cursor(live.shop_id, head["epoch"], after)
    with live.engine.connect() as conn:
        line = conn.execute(select(OrderLine.id, OrderLine.order_id).where(OrderLine.order_id != 2)
                            .order_by(OrderLine.id)).first()
    ops.delete_order(live.engine, live.shop_id, 2)                 # a tombstone of orders
    ops.set_line_qty(live.engine, live.shop_id, line.id, 3)        # an order upsert with its lines
    ops.set_stock_qty(live.engine, live.shop_id, 1, 77)
    buyer_says(live.url, live.engine, live.shop_id)                # conversations and messages

    answer = api.ok("/sync/wait", after=after, timeout=5, changes=100)
    assert {"stock", "orders", "conversations", "messages"} <= set(answer["streams"])
    assert set(answer["changes"]) == set(answer["streams"]) - {"phrases"}
    for stream, page in answer["changes"].items():
        assert page == api.ok(f"/sync/{stream}/changes", cursor=from_after, limit=100), stream
        assert page["has_more"] is False
        assert page["next_cursor"] == cursors.feed_cursor(live.shop_id, answer["epoch"], answer["seq"])
        assert page["seq"] == answer["seq"]
    orders = answer["changes"]["orders"]["changes"]
    assert {"seq": orders[0]["seq"], "op": "delete", "id": 2} in orders
    upsert = next(c for c in orders if c["op"] == "upsert" and c["item"]["id"] == line.order_id)
    assert line.id in {ln["id"] for ln in upsert["item"]["lines"]}

    # A stream with more than n changes is left out (orders: a delete and upserts).
    two = api.ok("/sync/wait", after=after, timeout=5, changes=1)
    assert "orders" in two["streams"] and "orders" not in two["changes"]
    assert two["changes"]["stock"] == api.ok("/sync/stock/changes", cursor=from_after, limit=1)
    # changes=0 (the default) keeps the answer as it was; nothing to inline: {}.
    plain = api.ok("/sync/wait", after=after, timeout=5)
    assert "changes" not in plain and plain == {k: v for k, v in answer.items() if k != "changes"}
    assert "changes" not in api.ok("/sync/wait", after=after, timeout=5, changes=0)
    now = answer["seq"]
    assert api.ok("/sync/wait", after=now, timeout=0, changes=5) == {
        "seq": now, "epoch": head["epoch"], "streams": [], "changes": {}}
    assert api.ok("/sync/wait", after=now + 100, timeout=0, changes=5) == {
        "seq": now, "epoch": head["epoch"], "changes": {}}  # another history: pull everything


def test_phrases_are_never_inlined_and_a_colleagues_own_phrase_never_appears(live, api):
    ops.create_agent(live.engine, live.shop_id, "amy", "pw-amy", "李小美", "2002")
    amy = Api(live.url)
    amy.login("amy", "pw-amy")
    after = api.ok("/sync/head")["seq"]
    made = amy.post("/mutations", {"mutations": [{
        "mutation_id": str(uuid.uuid4()), "kind": "phrase.create", "entity_id": amy.ok("/me")["id"],
        "base_version": 0, "payload": {"team": False, "category": "logistics", "title": "快递单号",
                                       "shortcut": "kd2", "text": "亲，单号是{tracking_no}～"}}]})
    assert made.json()["results"][0]["status"] == "applied", made.text
    buyer_says(live.url, live.engine, live.shop_id)
    mine = api.ok("/sync/wait", after=after, timeout=5, changes=100)
    hers = amy.ok("/sync/wait", after=after, timeout=5, changes=100)
    assert "phrases" not in mine["streams"] and "phrases" in hers["streams"]
    assert set(mine["changes"]) == set(hers["changes"]) == {"conversations", "messages"}
    assert "快递单号" not in requests.get(live.url + "/api/v1/sync/wait", timeout=10,
                                      params={"after": after, "timeout": 0, "changes": 100},
                                      headers={"Authorization": f"Bearer {api.token}"}).text


@pytest.mark.parametrize("value", ["101", "-1", "x", "1.5"])
def test_changes_is_checked_like_the_other_parameters(live, api, value):
    r = api.get("/sync/wait", after=0, timeout=0, changes=value)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert r.json()["errors"][0]["loc"] == ["query", "changes"]


# ---- the remembered head ---------------------------------------------------------------------

def head_reads(engine) -> list[int]:
    """Head reads (statements on the shops' seq) made through `engine` from now on."""
    box = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_rest):
        if "shops.seq" in statement:
            box[0] += 1
    return box


def woken_then_waiting_again(base: str, token: str, app, write) -> tuple[int, list[int], Waiting]:
    """A long poll woken by `write()`, then the next one (after the new head) waiting:
    (that head, the head reads made since the wake-up's answer, the new waiter)."""
    head = get(base, "/sync/head", token)["seq"]
    waiting = Waiting(base, token, head)
    until(lambda: app.state.notifier.fanout.count() >= 1, "the waiter to subscribe")
    write()
    seq = waiting.join()["seq"]
    assert seq > head
    reads = head_reads(app.state.engine)
    again = Waiting(base, token, seq)
    until(lambda: app.state.notifier.fanout.count() >= 1, "the next waiter to subscribe")
    return seq, reads, again


def test_a_re_wait_reads_nothing_and_wakes_for_a_write_through_another_process(pg_shop):
    engine, shop_id = pg_shop
    app = create_app(create_engine(engine.url))
    with ExitStack() as stack:
        stack.callback(app.state.engine.dispose)
        base = stack.enter_context(serve_in_thread(app))
        token = sign_in(base)
        get(base, "/sync/wait", token, after=0, timeout=0)
        until(app.state.notifier.listening, "the listener")
        seq, reads, again = woken_then_waiting_again(
            base, token, app, lambda: ops.set_stock_qty(engine, shop_id, 1, 5))
        assert reads[0] == 0  # it knew the head: no read
        proc, other = start_server(db_url(engine), seed_demo=0)
        stack.callback(stop_server, proc)
        written = write_remark_over_http(other, sign_in(other), engine)
        assert again.join()["seq"] == written > seq
        assert reads[0] == 1  # the wake-up's one read

        # ... and another app instance of this process, on its own engine and listener.
        second = create_app(create_engine(engine.url))
        stack.callback(second.state.engine.dispose)
        base2 = stack.enter_context(serve_in_thread(second))
        until(lambda: get(base2, "/sync/wait", sign_in(base2), after=0, timeout=0)
              and second.state.notifier.listening(), "the second app's listener")
        reads = head_reads(engine := app.state.engine)
        again = Waiting(base, token, written)
        until(lambda: app.state.notifier.fanout.count() >= 1, "the waiter to subscribe")
        assert reads[0] == 0
        written2 = write_remark_over_http(base2, sign_in(base2), engine)
        assert again.join()["seq"] == written2 > written


def test_after_a_listener_reconnect_a_wait_reads_again_and_misses_nothing(pg_shop):
    engine, shop_id = pg_shop
    app = create_app(create_engine(engine.url))
    notifier = app.state.notifier
    with ExitStack() as stack:
        stack.callback(app.state.engine.dispose)
        base = stack.enter_context(serve_in_thread(app))
        token = sign_in(base)
        get(base, "/sync/wait", token, after=0, timeout=0)
        until(lambda: notifier.connects == 1 and notifier.listening(), "the listener")
        seq, reads, again = woken_then_waiting_again(
            base, token, app, lambda: ops.set_stock_qty(engine, shop_id, 1, 5))
        assert reads[0] == 0
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                                {"pid": notifier.backend_pid}).scalar_one()
        # Written while the listener may be away: its notification may never come.
        written = ops.set_stock_qty(engine, shop_id, 1, 6)
        assert again.join()["seq"] == written  # woken by the reconnect (or the notification)
        until(lambda: notifier.connects == 2 and notifier.listening(), "the listener to reconnect")
        # A poll from before that write reads (what it remembered is not trusted) and answers.
        assert get(base, "/sync/wait", token, after=seq, timeout=30, read_timeout=15)["seq"] == written
        assert reads[0] >= 1


def test_on_sqlite_a_re_wait_reads_nothing_and_another_app_on_the_file_wakes_it(store_factory):
    from storeserver.db import make_engine

    store = store_factory(kind="sqlite", orders=40)
    other = make_engine(store.engine.url.render_as_string())
    try:
        with serve_in_thread(create_app(other)) as base_b:
            token = sign_in(store.url)
            seq, reads, again = woken_then_waiting_again(
                store.url, token, store.app, lambda: write_remark_over_http(base_b, token, store.engine))
            assert reads[0] == 0
            written = write_remark_over_http(base_b, token, store.engine)
            assert again.join()["seq"] == written > seq
    finally:
        other.dispose()


def test_a_history_reset_wakes_a_waiting_poll_and_is_never_hidden_by_a_remembered_head(store_factory):
    """bump_epoch is a change of the shop like any other: the waiting poll answers with the
    new epoch (the client then finds its cursors gone), and the next poll does not answer
    from the head it remembered before the reset."""
    store = store_factory(kind="sqlite", orders=20)
    token = sign_in(store.url)
    seq, reads, again = woken_then_waiting_again(
        store.url, token, store.app, lambda: ops.set_stock_qty(store.engine, store.shop_id, 1, 5))
    assert reads[0] == 0
    old_epoch = get(store.url, "/sync/head", token)["epoch"]
    epoch = ops.bump_epoch(store.engine, store.shop_id)
    assert epoch == old_epoch + 1
    assert again.join()["epoch"] == epoch
    assert get(store.url, "/sync/wait", token, after=seq, timeout=0)["epoch"] == epoch


def test_a_remembered_head_is_trusted_only_until_the_next_word_on_its_shop(server_engine):
    """The rule itself (storeserver.longpoll): a head read that started after the last
    delivery for the shop, and after the last wake-everyone, while listening."""
    shop = ops.create_shop(server_engine, "小店")
    other_shop = ops.create_shop(server_engine, "别家")
    n = notify.LocalNotifier()
    polls = longpoll.LongPoll(server_engine, n, lambda h: b"")
    n.TRUST_S = None  # no age limit here
    assert polls.known_head(shop) is None  # never read
    seq = polls.head(shop)["seq"]
    assert polls.known_head(shop) == {"seq": seq, "epoch": 1}
    n.fanout.deliver(other_shop)
    assert polls.known_head(shop) is not None  # another shop's news says nothing of this one
    n.fanout.deliver(shop)
    assert polls.known_head(shop) is None  # a change after the read: read again
    polls.head(shop)
    assert polls.known_head(shop) is not None
    n.fanout.wake_all()  # a reconnect: nothing read before is trusted
    assert polls.known_head(shop) is None

    class Away(notify.LocalNotifier):
        def listening(self) -> bool:
            return False

    away = longpoll.LongPoll(server_engine, Away(), lambda h: b"")
    away.head(shop)
    assert away.known_head(shop) is None

    async def a_poll_trusting_it_still_wakes() -> dict:
        polls.head(shop)
        task = asyncio.ensure_future(polls.wait(shop, seq, 10, 0))
        while n.fanout.count() == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert polls.head_reads == 3  # it waits without reading
        with write_txn(server_engine) as conn:
            ops.reserve_seq(conn, shop)
        n.committed({shop: frozenset()})  # what db.write_txn does for the notifier it uses
        return (await task).head

    assert asyncio.run(a_poll_trusting_it_still_wakes())["seq"] == seq + 1
    assert polls.head_reads == 4  # the wake-up's one read
