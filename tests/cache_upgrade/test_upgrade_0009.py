"""0009_compact_orders: a real 0008 cache (tests/data/cache-v0008.sqlite, written by the 0008
release's own code: tests/data/make_cache_v0008.py) is stored compactly - times as seconds,
what lines sold once in `sold_items`, addresses as arrays - with progress shown, every row
keeping its values, the search answering every kind of query as before, and the remark
edit still waiting with its overlay."""
from __future__ import annotations

import shutil

from alembic import command

from tests.cache_upgrade.helpers import copy_of, file_rows, rows_0008, stored_bytes
from tests.data import make_cache_v0008 as v0008
from workstation.models import db, outbox, remarks
from workstation.models.search import get_order_detail, search_orders

LOGICAL = ("orders", "order_lines", "buyers")  # read in their 0008 shape on both sides
RAW = ("outbox", "outbox_shadow", "sync_state", "products", "skus", "stock", "remark_history")
SIZED = ("orders", "order_lines", "buyers", "sold_items")


def test_checked_in_file_is_really_at_revision_0008():
    path = v0008.OUT
    assert file_rows(path, "SELECT version_num FROM alembic_version") == [(v0008.REVISION,)]
    assert file_rows(path, "SELECT typeof(created_at), count(*) FROM orders GROUP BY 1") == [
        ("text", v0008.N_ORDERS + 1)]


def test_upgrade_to_0009_compact_orders(tmp_path):
    path = copy_of(v0008.OUT.name, tmp_path)
    before = {t: rows_0008(path, f"SELECT * FROM {t} ORDER BY 1") for t in LOGICAL}
    raw_before = {t: file_rows(path, f"SELECT * FROM {t} ORDER BY 1") for t in RAW}
    size_before, file_before = stored_bytes(path, SIZED), path.stat().st_size
    rows = sum(len(r) for r in before.values())
    progress: list[tuple[int, int]] = []
    cache = db.open_cache(path, progress=lambda done, total: progress.append((done, total)))
    try:
        assert file_rows(path, "SELECT version_num FROM alembic_version") == [(db.HEAD_REVISION,)]
        ours = [p for p in progress if p[1] == rows]  # 0010 reports its own step after (orders only)
        assert ours and ours[-1] == (rows, rows)
        assert [d for d, _ in ours] == sorted(d for d, _ in ours)
        for table, kept in before.items():
            assert rows_0008(path, f"SELECT * FROM {table} ORDER BY 1") == kept, table
        for table, kept in raw_before.items():
            assert file_rows(path, f"SELECT * FROM {table} ORDER BY 1") == kept, table
        # the compact format (docs/CLIENT-API.md)
        assert file_rows(path, "SELECT DISTINCT typeof(created_at) FROM orders") == [("integer",)]
        assert file_rows(path, "SELECT DISTINCT typeof(first_order_at) FROM buyers WHERE first_order_at "
                               "IS NOT NULL") == [("integer",)]
        assert file_rows(path, "SELECT count(*) FROM buyers WHERE addresses NOT LIKE '[[%' "
                               "AND addresses != '[]'") == [(0,)]
        (items,), (lines,) = file_rows(path, "SELECT count(*) FROM sold_items"), file_rows(
            path, "SELECT count(*) FROM order_lines")
        assert items < lines
        assert path.stat().st_size < file_before  # the old tables' pages given back (VACUUM)
        assert stored_bytes(path, SIZED) < size_before * 0.9  # at 400 orders; ~-40% at 100k (bench/ingest.py)
        assert file_rows(path, "SELECT n FROM orders_count") == [(v0008.N_ORDERS + 1,)]

        engine = cache.engine
        # every kind of query finds what it found before, newest first
        newest = max(before["orders"], key=lambda r: r[0])
        some = [r for r in before["orders"] if r[18]][len(before["orders"]) // 3]
        order_no, tracking, phone, name, nick = some[2], some[18], some[11], some[10], some[4]
        assert search_orders(engine, order_no)[0].id == some[0]
        assert some[0] in [r.id for r in search_orders(engine, tracking)]
        assert some[0] in [r.id for r in search_orders(engine, tracking[-7:], limit=500)]
        assert some[0] in [r.id for r in search_orders(engine, phone[-4:], limit=500)]
        assert some[0] in [r.id for r in search_orders(engine, f"{name} {phone[-4:]}", limit=500)]
        by_nick = [r.id for r in search_orders(engine, nick, limit=500)]
        assert some[0] in by_nick and by_nick == sorted(by_nick, reverse=True)
        assert search_orders(engine, newest[11])[0].id == newest[0]
        # the renamed product: the old orders keep the name they sold under
        renamed = get_order_detail(engine, v0008.RENAMED_ORDER_ID)
        assert [ln.product_name for ln in renamed.lines] == [v0008.RENAMED_NAME]
        sku = renamed.lines[0].sku_id
        old_names = {n for (n,) in rows_0008(path, "SELECT product_name FROM order_lines WHERE sku_id = ? "
                                                   f"AND order_id != {v0008.RENAMED_ORDER_ID}".replace("?", str(sku)))}
        assert old_names and v0008.RENAMED_NAME not in old_names
        # times read back as they were
        detail = get_order_detail(engine, some[0])
        assert detail.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") == some[19]
        # the waiting remark edit is still shown and still sent
        state = remarks.remark_state(engine, v0008.REMARKED_ORDER_ID)
        assert v0008.WAITING_MEMO in get_order_detail(engine, v0008.REMARKED_ORDER_ID).remark
        assert state is not None
        batch = cache.writer.run(outbox.take_batch)
        assert [e.entity_id for e in batch] == [v0008.REMARKED_ORDER_ID]
    finally:
        cache.close()


def test_downgrade_from_0009_restores_the_0008_rows(tmp_path):
    path = copy_of(v0008.OUT.name, tmp_path)
    raw_before = {t: file_rows(path, f"SELECT * FROM {t} ORDER BY 1") for t in ("orders", "order_lines")}
    shutil.copyfile(path, tmp_path / "original.sqlite")
    db.open_cache(path).close()
    engine = db.make_engine(path)
    try:
        cfg = db._alembic_config(None)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, v0008.REVISION)
    finally:
        engine.dispose()
    for table, rows in raw_before.items():
        assert file_rows(path, f"SELECT * FROM {table} ORDER BY 1") == rows, table
    assert rows_0008(path, "SELECT * FROM buyers ORDER BY 1") == rows_0008(
        tmp_path / "original.sqlite", "SELECT * FROM buyers ORDER BY 1")
