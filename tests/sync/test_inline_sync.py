"""A long poll's inlined change pages on the workstation side (docs/CLIENT-API.md
`StoreClient.wait`, `SyncService`): a buyer's message applied from the wait's answer alone,
a stream in its first load ignoring its page, a malformed page changing nothing."""
from __future__ import annotations

import sqlite3
import uuid

import orjson
import pytest
import requests
from sqlalchemy import select

from storeserver import cursors, ops
from storeserver.models import Buyer
from storeserver.seed import DEMO_RELAY_KEY
from tests.sync.helpers import assert_cache_equals_server
from tests.sync.test_service import LIMIT_S, CountingClient, Recorder, await_true, start_service
from workstation.models.apply import begin_reload
from workstation.models.state import get_stream_state
from workstation.sync import wire
from workstation.sync.errors import PayloadError
from workstation.sync.puller import Puller
from workstation.sync.service import INLINE_CHANGES


def buyer_says(store, text_: str = "亲，今天能发货吗？") -> dict:
    with store.engine.connect() as conn:
        buyer = conn.execute(select(Buyer.id).where(Buyer.shop_id == store.shop_id).order_by(Buyer.id)).scalar()
    r = requests.post(store.url + "/api/v1/relay/messages", headers={"Authorization": f"Relay {DEMO_RELAY_KEY}"},
                      json={"client_id": str(uuid.uuid4()), "buyer_id": buyer, "text": text_, "product_id": None},
                      timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def cached_message(path, message_id: int) -> str | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT text FROM messages WHERE id = ?", (message_id,)).fetchone()
    return row[0] if row else None


def test_a_buyers_message_comes_with_the_wait_answer_alone(store, cache):
    rec = Recorder()
    client = CountingClient(store.url)
    client.login(store.login, store.password)
    service, thread, result = start_service(client, cache, rec)
    notifier = store.app.state.notifier
    try:
        rec.await_state("online")
        await_true(lambda: notifier.fanout.count() == 1, "the long poll waiting")
        client.pulled.clear()
        sent = buyer_says(store)
        message = sent["message"]
        await_true(lambda: cached_message(cache.path, message["id"]) == "亲，今天能发货吗？", "the message")
        await_true(lambda: notifier.fanout.count() == 1, "the next long poll waiting")
        assert client.pulled == []  # no changes request: the wait's answer carried it
        cursor = get_stream_state(cache.engine, "messages").cursor
        assert cursors.decode(cursor, kind="f", shop_id=store.shop_id).seq >= message["seq"]

        sent2 = buyer_says(store, "还有别的颜色吗")  # the next one comes the same way
        await_true(lambda: cached_message(cache.path, sent2["message"]["id"]) == "还有别的颜色吗", "message 2")
        assert client.pulled == []
        # A full pull from those cursors repeats nothing wrong.
        service.wake()
        await_true(lambda: {"messages", "conversations"} <= set(client.pulled), "a full pull")
        await_true(lambda: notifier.fanout.count() == 1, "waiting again")
        assert_cache_equals_server(store.engine, store.shop_id, cache.path)
    finally:
        service.stop()
        thread.join(timeout=LIMIT_S)
    assert result == ["stopped"] and rec.errors == []


def test_a_stream_in_its_first_load_ignores_its_inlined_page(store, cache):
    client = CountingClient(store.url)
    client.login(store.login, store.password)
    puller = Puller(client, cache.writer, page_size=200)
    puller.run_once()
    head = client.head()
    sent = buyer_says(store)
    answer = client.wait(head.seq, 10, changes=INLINE_CHANGES)
    assert {"conversations", "messages"} <= set(answer.changes)
    cache.writer.run(begin_reload, "messages")  # e.g. after a 410: loading afresh
    client.pulled.clear()
    summary = puller.run_once(only=answer.streams, inline=answer.changes)
    assert summary.streams["messages"].snapshot_pages >= 1  # loaded, not taken from the page
    assert "conversations" not in client.pulled  # live: its page was applied
    assert summary.streams["conversations"].feed_pages == 1
    assert cached_message(cache.path, sent["message"]["id"]) is not None
    assert get_stream_state(cache.engine, "messages").phase == "feed"
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_an_inlined_page_read_before_the_last_pull_is_not_applied(store, cache):
    """Across server processes a long poll may be answered from a read older than the
    client's last pull. Its page would move the cursor back and bring back an order deleted
    since: the stream is pulled from its cursor instead."""
    client = CountingClient(store.url)
    client.login(store.login, store.password)
    puller = Puller(client, cache.writer, page_size=200)
    puller.run_once()
    order_id = _any_order(cache.path)
    head = client.head()
    ops.set_remark(store.engine, store.shop_id, order_id, "先改备注", 2, "1031")
    stale = client.wait(head.seq, 10, changes=INLINE_CHANGES)  # read now, used after the pull below
    assert [c["item"]["id"] for c in stale.changes["orders"].changes] == [order_id]
    ops.delete_order(store.engine, store.shop_id, order_id)
    puller.run_once()
    assert not _cached_order(cache.path, order_id)
    pulled = get_stream_state(cache.engine, "orders")
    client.pulled.clear()
    summary = puller.run_once(only=stale.streams, inline=stale.changes)
    assert not _cached_order(cache.path, order_id)  # not back from the old answer
    assert get_stream_state(cache.engine, "orders").cursor == pulled.cursor
    assert "orders" in client.pulled and summary.streams["orders"].items == 0
    assert_cache_equals_server(store.engine, store.shop_id, cache.path)


def test_an_inlined_page_carries_where_its_cursor_stands(store, cache):
    client = CountingClient(store.url)
    client.login(store.login, store.password)
    Puller(client, cache.writer, page_size=200).run_once()
    head = client.head()
    sent = buyer_says(store)
    answer = client.wait(head.seq, 10, changes=INLINE_CHANGES)
    page = answer.changes["messages"]
    assert page.seq == answer.seq >= sent["message"]["seq"]
    assert cursors.decode(page.next_cursor, kind="f", shop_id=store.shop_id).seq == page.seq
    pulled = client.changes("messages", cursors.feed_cursor(store.shop_id, answer.epoch, head.seq), 100)
    # The changes endpoint says the same of its own pages (the head may have moved on since).
    assert pulled.seq >= page.seq and pulled.changes[:len(page.changes)] == page.changes
    assert cursors.decode(pulled.next_cursor, kind="f", shop_id=store.shop_id).seq == pulled.seq


def _any_order(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT max(id) FROM orders").fetchone()[0]


def _cached_order(path, order_id: int) -> bool:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is not None


class TamperingClient(CountingClient):
    """The real client; `tamper(doc)` edits each /sync/wait answer before it is parsed."""

    tamper = None

    def _get(self, path, **kw):
        resp = super()._get(path, **kw)
        if path == "/sync/wait" and self.tamper is not None:
            doc = orjson.loads(resp.content)
            self.tamper(doc)
            resp._content = orjson.dumps(doc)
        return resp


def test_a_malformed_inlined_page_changes_nothing(store, cache):
    client = TamperingClient(store.url)
    client.login(store.login, store.password)
    Puller(client, cache.writer, page_size=200).run_once()
    before = get_stream_state(cache.engine, "messages")
    head = client.head()
    sent = buyer_says(store)

    def bad_text(doc):
        doc["changes"]["messages"]["changes"][0]["item"]["text"] = 12345

    client.tamper = bad_text
    with pytest.raises(PayloadError, match="messages changes page"):
        client.wait(head.seq, 10, changes=INLINE_CHANGES)
    assert cached_message(cache.path, sent["message"]["id"]) is None
    assert get_stream_state(cache.engine, "messages") == before
    client.tamper = None
    assert client.wait(head.seq, 10, changes=INLINE_CHANGES).changes["messages"].changes


def _head(**changes) -> bytes:
    page = {"stream": "stock", "changes": [{"seq": 5, "op": "delete", "id": 3}], "next_cursor": "c", "has_more": False}
    return orjson.dumps({"seq": 9, "epoch": 1, "streams": ["stock"], "changes": {"stock": page} | changes})


@pytest.mark.parametrize("bad", [
    {"stock": {"stream": "orders", "changes": [], "next_cursor": "c", "has_more": False}},     # another stream's
    {"stock": {"stream": "stock", "changes": [{"seq": 5, "op": "delete", "id": 3},
                                              {"seq": 4, "op": "delete", "id": 2}],
               "next_cursor": "c", "has_more": False}},                                      # not ascending
    {"stock": {"stream": "stock", "changes": [], "next_cursor": "", "has_more": False}},      # no cursor
    {"stock": [1, 2]},                                                                         # not a page
    {"orders": {"stream": "orders", "changes": [], "next_cursor": "c", "has_more": False}},  # did not move
])
def test_an_inlined_page_is_held_to_what_a_changes_page_must_be(bad):
    assert wire.parse_head(_head()).changes["stock"].changes == [{"seq": 5, "op": "delete", "id": 3}]
    with pytest.raises(PayloadError):
        wire.parse_head(_head(**bad))


def test_a_page_of_a_stream_a_newer_server_has_is_skipped():
    """A server with one more stream inlines its page too: an older workstation takes the
    pages it knows and stays online (as it ignores unknown names in `streams`)."""
    head = wire.parse_head(_head(coupons={"stream": "coupons", "changes": [], "next_cursor": "c",
                                          "has_more": False}))
    assert list(head.changes) == ["stock"]
