"""0007_phrases_notes: a real cache of the schema before it (tests/data/cache-v0006.sqlite,
made by make_cache_v0006.py) gets the phrase, shop-settings and buyer-note tables and the
local `phrase_use`, and keeps its orders, its chat, its outbox (a reply and a remark
waiting) and its sync state; the new streams start with a snapshot on the next sync."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cache_upgrade.helpers import DATA, copy_of, file_rows, rows_0008
from tests.data import make_cache_v0006 as v0006
from workstation.models import conversations as chat
from workstation.models import db, outbox
from workstation.models.apply import apply_snapshot_page
from workstation.models.search import search_orders
from workstation.models.state import get_stream_state

V0006 = DATA / "cache-v0006.sqlite"
KEPT = ("orders", "order_lines", "buyers", "products", "skus", "stock", "warehouses", "remark_history",
        "sync_state", "outbox", "outbox_shadow", "orders_count", "conversations", "messages", "agents")
NEW = ("shop_settings", "phrases", "buyer_notes")


@pytest.fixture
def old_cache(tmp_path) -> Path:
    return copy_of(V0006.name, tmp_path)


def test_checked_in_file_is_really_at_revision_0006():
    assert file_rows(V0006, "SELECT version_num FROM alembic_version") == [(v0006.REVISION,)]
    assert file_rows(V0006, "SELECT name FROM sqlite_master WHERE name IN ('phrases', 'phrase_use')") == []
    assert file_rows(V0006, "SELECT count(*) FROM conversations") == [(1,)]


def test_upgrade_to_0007_phrases_notes(old_cache):
    before = {t: rows_0008(old_cache, f"SELECT * FROM {t} ORDER BY 1") for t in KEPT}
    cache = db.open_cache(old_cache)
    try:
        for table, rows in before.items():
            assert rows_0008(old_cache, f"SELECT * FROM {table} ORDER BY 1") == rows, table
        assert file_rows(old_cache, "SELECT version_num FROM alembic_version") == [(db.HEAD_REVISION,)]
        for table in (*NEW, "phrase_use"):
            assert file_rows(old_cache, f"SELECT count(*) FROM {table}") == [(0,)], table
        engine = cache.engine
        for stream in NEW:
            state = get_stream_state(engine, stream)
            assert (state.phase, state.cursor) == ("snapshot", None), stream  # loaded on the next sync
        assert get_stream_state(engine, "conversations").cursor == "c-conversations-0006"  # the others carry on
        assert search_orders(engine, "王小明")[0].id == 1003
        # the reply written before the upgrade still waits and shows as queued
        assert [m.text for m in chat.history(engine, 7) if m.status == "queued"] == [v0006.WAITING_REPLY_TEXT]
        # the first sync after the upgrade brings the phrase library and the notes
        cache.writer.run(apply_snapshot_page, "phrases", [{
            "id": 3, "seq": 200, "version": 1, "owner_agent_no": None, "category": "logistics", "title": "查快递",
            "shortcut": "kd", "text": "亲，您的快递单号是{tracking_no}", "updated_by": "2048",
            "updated_at": "2024-12-08T01:00:00Z"}], next_cursor=None, done=True, feed_cursor="c-ph-1", total=1)
        cache.writer.run(apply_snapshot_page, "buyer_notes", [{
            "id": 1, "seq": 201, "buyer_id": 501, "text": "老客户，喜欢顺丰", "agent_no": "2048",
            "created_at": "2024-12-08T01:00:00Z", "client_id": None}], next_cursor=None, done=True,
            feed_cursor="c-bn-1", total=1)
        assert file_rows(old_cache, "SELECT title, shortcut FROM phrases") == [("查快递", "kd")]
        assert file_rows(old_cache, "SELECT buyer_id, text FROM buyer_notes") == [(501, "老客户，喜欢顺丰")]
        cache.writer.run(outbox.recover_inflight)
        kinds = {e.kind for e in cache.writer.run(outbox.take_batch)}
        assert {"message.reply", "order.remark"} <= kinds
    finally:
        cache.close()


def test_an_upgraded_cache_gets_the_phrase_library_from_a_real_server(old_cache, store):
    """The first sync after the upgrade loads the shop settings, the phrases and the notes
    (the other streams' cursors in the old file are a made-up server's, so only the new
    streams are pulled here); the waiting writes stay untouched."""
    from workstation.models import phrases as ph
    from workstation.sync.client import StoreClient
    from workstation.sync.puller import Puller

    cache = db.open_cache(old_cache)
    client = StoreClient(store.url)
    try:
        client.login("demo", "demo")
        before = outbox.counts(cache.engine)
        Puller(client, cache.writer, streams=NEW).run_once()
        engine = cache.engine
        assert ph.shop_settings(engine).shop_name
        library = ph.PhraseIndex(engine, "1024")
        assert len(library.search("", limit=1000)) > 0
        for stream in NEW:
            assert get_stream_state(engine, stream).phase == "feed"
        assert outbox.counts(engine) == before
    finally:
        client.close()
        cache.close()
