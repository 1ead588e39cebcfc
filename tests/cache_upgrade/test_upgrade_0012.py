"""0012_search_digit_quads: a real 0011 cache (tests/data/cache-v0011.sqlite, written by the
0011 release's own code: tests/data/make_cache_v0011.py) gets its search index rebuilt with
every 4 adjacent digits - with progress shown, every row untouched, every kind of query
answering exactly what the 0011 release answered on the same file
(tests/data/cache-v0011-answers.json), a number's fragment now looked up by its 4-grams, and
the index still taking the changes apply makes. The downgrade rebuilds the 0011 tokens."""
from __future__ import annotations

import json
import sqlite3

from alembic import command

from tests.cache.conftest import delete, make_order, upsert
from tests.cache_upgrade.helpers import copy_of, file_rows
from tests.data import make_cache_v0011 as v0011
from workstation.models import db, fts, outbox
from workstation.models.apply import apply_changes
from workstation.models.search import count_matches, get_order_detail, search_orders

KEPT = ("orders", "order_lines", "sold_items", "places", "buyers", "outbox", "outbox_shadow", "sync_state",
        "remark_history", "orders_count")


def _index_has(path, token: str) -> int:
    return file_rows(path, f"SELECT count(*) FROM orders_fts WHERE orders_fts MATCH '\"{token}\"'")[0][0]


def test_checked_in_file_is_really_at_revision_0011():
    path = v0011.OUT
    assert file_rows(path, "SELECT version_num FROM alembic_version") == [(v0011.REVISION,)]
    assert file_rows(path, "SELECT n FROM orders_count") == [(v0011.N_ORDERS + 1,)]
    assert file_rows(path, "SELECT count(*) FROM outbox WHERE status = 'pending'") == [(1,)]


def test_upgrade_to_0012_search_digit_quads(tmp_path):
    path = copy_of(v0011.OUT.name, tmp_path)
    kept = {t: file_rows(path, f"SELECT * FROM {t} ORDER BY 1") for t in KEPT}
    (number,), = file_rows(path, "SELECT order_no FROM orders WHERE tracking_no IS NOT NULL ORDER BY id LIMIT 1")
    quad = str(number)[-7:-3]
    assert _index_has(path, quad) == 0  # 0011 holds no digit 4-grams
    progress: list[tuple[int, int]] = []
    cache = db.open_cache(path, progress=lambda done, total: progress.append((done, total)))
    try:
        assert file_rows(path, "SELECT version_num FROM alembic_version") == [(db.HEAD_REVISION,)]
        n = v0011.N_ORDERS + 1
        assert progress and progress[-1] == (n, n)
        assert [d for d, _ in progress] == sorted(d for d, _ in progress)
        for table, rows in kept.items():
            assert file_rows(path, f"SELECT * FROM {table} ORDER BY 1") == rows, table
        assert _index_has(path, quad) >= 1
        con = sqlite3.connect(path)
        con.execute("INSERT INTO orders_fts (orders_fts, rank) VALUES ('integrity-check', 0)")
        con.close()

        engine = cache.engine
        # every kind of query answers what the 0011 release answered, in the same order
        answers = json.loads(v0011.ANSWERS.read_text(encoding="utf-8"))
        assert sum(1 for found in answers.values() if found) >= 25
        for query, found in answers.items():
            rows = search_orders(engine, query, limit=500)
            assert [[r.id, r.order_no, r.province + r.city + r.district] for r in rows] == found, query
            assert count_matches(engine, query, up_to=500) == (len(found), True), query
        # a 7-digit fragment of an order number is looked up by its 4-grams
        fragment = str(number)[-7:]
        assert [t for t in fts.query_tokens(fragment) if len(t) == 4] == [fragment[:4], fragment[3:]]
        assert number in {int(r.order_no) for r in search_orders(engine, fragment, limit=500)}
        # the rebuilt index takes apply's changes: a new order found, a deleted one gone
        (top_seq,), = file_rows(path, "SELECT max(seq) FROM orders")
        (old_id,), = file_rows(path, "SELECT min(id) FROM orders")
        old_no = get_order_detail(engine, old_id).order_no
        new = make_order(990_001, seq=top_seq + 1)
        apply_changes(engine, "orders", [upsert(new), delete(old_id, top_seq + 2)], next_cursor="after-0012")
        assert [r.id for r in search_orders(engine, new["order_no"][-9:])] == [990_001]
        assert old_id not in {r.id for r in search_orders(engine, old_no[-9:], limit=500)}
        con = sqlite3.connect(path)
        con.execute("INSERT INTO orders_fts (orders_fts, rank) VALUES ('integrity-check', 0)")
        con.close()
        # the waiting remark edit is still shown and still sent
        assert v0011.WAITING_MEMO in get_order_detail(engine, v0011.REMARKED_ORDER_ID).remark
        assert [e.entity_id for e in cache.writer.run(outbox.take_batch)] == [v0011.REMARKED_ORDER_ID]
    finally:
        cache.close()


def test_downgrade_from_0012_rebuilds_the_0011_index(tmp_path):
    path = copy_of(v0011.OUT.name, tmp_path)
    original = tmp_path / "original.sqlite"
    original.write_bytes(path.read_bytes())
    (number,), = file_rows(path, "SELECT order_no FROM orders ORDER BY id LIMIT 1")
    db.open_cache(path).close()
    assert _index_has(path, str(number)[-4:]) >= 1
    engine = db.make_engine(path)
    try:
        cfg = db._alembic_config(None)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, v0011.REVISION)
    finally:
        engine.dispose()
    assert file_rows(path, "SELECT version_num FROM alembic_version") == [(v0011.REVISION,)]
    assert _index_has(path, str(number)[-4:]) == 0
    # the same index contents as the 0011 release's file: every token's orders alike
    for token in ("sf1", str(number)[:3], "浙江"):
        assert (file_rows(path, f"SELECT rowid FROM orders_fts WHERE orders_fts MATCH '\"{token}\"' ORDER BY 1")
                == file_rows(original, f"SELECT rowid FROM orders_fts WHERE orders_fts MATCH '\"{token}\"' "
                                       "ORDER BY 1")), token
