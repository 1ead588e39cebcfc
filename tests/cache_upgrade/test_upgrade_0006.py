"""0006_conversations: a real cache of the schema before it (tests/data/cache-v0005.sqlite,
made by make_cache_v0005.py) gets the chat tables and keeps its orders, its outbox (with a
remark overlay waiting) and its sync state; the chat streams start with a snapshot on the
next sync while the other streams carry on from their cursors."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cache.conftest import make_conversation, make_order, upsert
from tests.cache_upgrade.helpers import DATA, copy_of, file_rows, rows_0008
from tests.data import make_cache_v0005 as v0005
from workstation.models import conversations as chat
from workstation.models import db, outbox
from workstation.models.apply import apply_changes, apply_snapshot_page
from workstation.models.search import get_order_detail, search_orders
from workstation.models.state import get_stream_state

V0005 = DATA / "cache-v0005.sqlite"
KEPT = ("orders", "order_lines", "buyers", "products", "skus", "stock", "warehouses", "remark_history",
        "sync_state", "outbox", "outbox_shadow", "orders_count")


@pytest.fixture
def old_cache(tmp_path) -> Path:
    return copy_of(V0005.name, tmp_path)


def test_checked_in_file_is_really_at_revision_0005():
    assert file_rows(V0005, "SELECT version_num FROM alembic_version") == [(v0005.REVISION,)]
    assert file_rows(V0005, "SELECT name FROM sqlite_master WHERE name = 'conversations'") == []
    assert file_rows(V0005, "SELECT count(*) FROM outbox_shadow") == [(1,)]


def test_upgrade_to_0006_conversations(old_cache):
    before = {t: rows_0008(old_cache, f"SELECT * FROM {t} ORDER BY 1") for t in KEPT}
    cache = db.open_cache(old_cache)
    try:
        for table, rows in before.items():
            assert rows_0008(old_cache, f"SELECT * FROM {table} ORDER BY 1") == rows, table
        assert file_rows(old_cache, "SELECT version_num FROM alembic_version") == [(db.HEAD_REVISION,)]
        engine = cache.engine
        for stream in ("conversations", "messages", "agents"):
            state = get_stream_state(engine, stream)
            assert (state.phase, state.cursor) == ("snapshot", None), stream  # loaded on the next sync
        assert get_stream_state(engine, "orders").cursor == "c-orders-0005"  # the others carry on
        assert chat.queue(engine) == [] and chat.agents(engine) == []
        # the waiting remark still shows over the server's, and survives a pull of its order
        assert get_order_detail(engine, 1002).remark == v0005.MEMO
        server_row = {c: v for c, v in zip(
            ("remark", "remark_flag", "remark_by", "remark_at", "remark_version"),
            (v0005.SERVER_MEMO, 2, "2048", "2024-12-07T08:00:00Z", 3))}
        cache.writer.run(apply_changes, "orders", [upsert(make_order(1002, 500, **server_row))],
                         next_cursor="c-orders-0006")
        assert get_order_detail(engine, 1002).remark == v0005.MEMO
        assert search_orders(engine, "王小明")[0].id == 1003
        # the first sync after the upgrade brings the queue; replies go through the same outbox
        cache.writer.run(apply_snapshot_page, "conversations", [make_conversation(1)], next_cursor=None,
                         done=True, feed_cursor="c-conv-1", total=1)
        assert [r.conversation_id for r in chat.queue(engine)] == [1]
        cache.writer.run(chat.send_reply, 1, "您好，在的", agent_no="1024")
        cache.writer.run(outbox.recover_inflight)
        batch = cache.writer.run(outbox.take_batch)
        kinds = [e.kind for e in batch]
        assert "message.reply" in kinds and "order.remark" in kinds
        assert v0005.WAITING_REMARK in {e.mutation_id for e in batch}
    finally:
        cache.close()


def test_an_upgraded_cache_gets_the_chat_streams_from_a_real_server(old_cache, store):
    """The first sync after the upgrade loads the queue (the other streams' cursors in the old
    file are a made-up server's, so only the new streams are pulled here)."""
    from workstation.sync.client import StoreClient
    from workstation.sync.puller import Puller

    cache = db.open_cache(old_cache)
    client = StoreClient(store.url)
    try:
        client.login("demo", "demo")
        before = outbox.counts(cache.engine)
        Puller(client, cache.writer, streams=("conversations", "messages", "agents")).run_once()
        engine = cache.engine
        assert chat.agents(engine) and "1024" in {a.agent_no for a in chat.agents(engine)}
        queue = chat.queue(engine)
        assert queue, "the demo shop's open conversations"
        assert chat.history(engine, queue[0].conversation_id)
        for stream in ("conversations", "messages", "agents"):
            assert get_stream_state(engine, stream).phase == "feed"
        assert outbox.counts(engine) == before  # the queued writes wait untouched
        assert get_order_detail(engine, 1002).remark == v0005.MEMO
    finally:
        client.close()
        cache.close()
