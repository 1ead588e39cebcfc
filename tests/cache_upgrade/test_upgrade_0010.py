"""0010_orders_numbers_places: a real 0009 cache (tests/data/cache-v0009.sqlite, written by
the 0009 release's own code: tests/data/make_cache_v0009.py) stores order numbers as
integers and every order's province, city and district once in `places` - with progress
shown, every row keeping its values, and every kind of query
answering exactly what the 0009 release answered on the same file
(tests/data/cache-v0009-answers.json, recorded by that release's `search_orders`)."""
from __future__ import annotations

import json
import shutil

from alembic import command

from tests.cache_upgrade.helpers import copy_of, file_rows, rows_0008, stored_bytes
from tests.data import make_cache_v0009 as v0009
from workstation.models import db, outbox, remarks
from workstation.models.phrase_fill import FillContext, fill
from workstation.models.search import count_matches, get_order_detail, search_orders

# (The search index's own tables are rebuilt by 0012 on the way to the head: its test checks them.)
RAW = ("order_lines", "sold_items", "buyers", "outbox", "outbox_shadow", "sync_state", "remark_history",
       "orders_count")
SIZED = ("orders", "ix_orders_order_no")


def test_checked_in_file_is_really_at_revision_0009():
    path = v0009.OUT
    assert file_rows(path, "SELECT version_num FROM alembic_version") == [(v0009.REVISION,)]
    assert file_rows(path, "SELECT typeof(order_no), count(*) FROM orders GROUP BY 1") == [
        ("text", v0009.N_ORDERS + 1)]
    assert file_rows(path, f"SELECT order_no FROM orders WHERE id = {v0009.ZERO_ORDER_ID}") == [
        (v0009.ZERO_ORDER_NO,)]


def test_upgrade_to_0010_orders_numbers_places(tmp_path):
    path = copy_of(v0009.OUT.name, tmp_path)
    orders_before = rows_0008(path, "SELECT * FROM orders ORDER BY id")
    raw_before = {t: file_rows(path, f"SELECT * FROM {t} ORDER BY 1") for t in RAW}
    size_before = stored_bytes(path, SIZED)
    places_before = file_rows(path, "SELECT DISTINCT province, city, district FROM orders ORDER BY 1, 2, 3")
    progress: list[tuple[int, int]] = []
    cache = db.open_cache(path, progress=lambda done, total: progress.append((done, total)))
    try:
        assert file_rows(path, "SELECT version_num FROM alembic_version") == [(db.HEAD_REVISION,)]
        n = v0009.N_ORDERS + 1
        assert progress and progress[-1] == (n, n)
        assert [d for d, _ in progress] == sorted(d for d, _ in progress)
        # every row keeps its values; what 0010 does not store differently is byte for byte the same
        assert rows_0008(path, "SELECT * FROM orders ORDER BY id") == orders_before
        for table, kept in raw_before.items():
            assert file_rows(path, f"SELECT * FROM {table} ORDER BY 1") == kept, table
        # the compact format (docs/CLIENT-API.md)
        assert file_rows(path, "SELECT DISTINCT typeof(order_no) FROM orders") == [("integer",)]
        assert file_rows(path, f"SELECT order_no FROM orders WHERE id = {v0009.ZERO_ORDER_ID}") == [
            (int(v0009.ZERO_ORDER_NO),)]
        assert file_rows(path, "SELECT province, city, district FROM places ORDER BY 1, 2, 3") == places_before
        assert len(places_before) < n // 4
        assert stored_bytes(path, SIZED) < size_before * 0.85
        assert file_rows(path, "PRAGMA integrity_check") == [("ok",)]

        engine = cache.engine
        # every kind of query answers what the 0009 release answered, in the same order
        answers = json.loads(v0009.ANSWERS.read_text(encoding="utf-8"))
        assert sum(1 for found in answers.values() if found) >= 25
        for query, found in answers.items():
            rows = search_orders(engine, query, limit=500)
            assert [[r.id, r.order_no, r.province + r.city + r.district] for r in rows] == found, query
            assert count_matches(engine, query, up_to=500) == (len(found), True), query
        # an order's number and place read back as they were
        zero = get_order_detail(engine, v0009.ZERO_ORDER_ID)
        assert zero.order_no == v0009.ZERO_ORDER_NO
        assert (zero.province, zero.city, zero.district) == v0009.ZERO_PLACE
        filled = fill(engine, "订单{order_no}寄往{receiver_address}", FillContext(order_id=v0009.ZERO_ORDER_ID))
        assert filled.text.startswith(f"订单{v0009.ZERO_ORDER_NO}寄往{v0009.ZERO_PLACE[0]}")
        # the waiting remark edit is still shown and still sent
        assert v0009.WAITING_MEMO in get_order_detail(engine, v0009.REMARKED_ORDER_ID).remark
        assert remarks.remark_state(engine, v0009.REMARKED_ORDER_ID) is not None
        batch = cache.writer.run(outbox.take_batch)
        assert [e.entity_id for e in batch] == [v0009.REMARKED_ORDER_ID]
    finally:
        cache.close()


def test_downgrade_from_0010_restores_the_0009_rows(tmp_path):
    path = copy_of(v0009.OUT.name, tmp_path)
    before = file_rows(path, "SELECT * FROM orders ORDER BY id")
    shutil.copyfile(path, tmp_path / "original.sqlite")
    db.open_cache(path).close()
    engine = db.make_engine(path)
    try:
        cfg = db._alembic_config(None)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, v0009.REVISION)
    finally:
        engine.dispose()
    assert file_rows(path, "SELECT * FROM orders ORDER BY id") == before
    assert file_rows(path, "SELECT name FROM sqlite_master WHERE name = 'places'") == []
    assert file_rows(path, "SELECT sql FROM sqlite_master WHERE tbl_name = 'orders' ORDER BY name") == file_rows(
        tmp_path / "original.sqlite", "SELECT sql FROM sqlite_master WHERE tbl_name = 'orders' ORDER BY name")
