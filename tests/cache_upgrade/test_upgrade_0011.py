"""0011_orders_count_by_apply: a real cache from before it (tests/data/cache-v0009.sqlite,
written by the 0009 release's own code; 0010 and 0011 both run on it) loses the per-row
triggers that kept `orders_count`, keeps every row, holds the true count (also when the old
count had drifted), and apply keeps that count from then on."""
from __future__ import annotations

import sqlite3

from tests.cache.conftest import delete, make_order, upsert
from tests.cache_upgrade.helpers import copy_of, file_rows
from tests.data import make_cache_v0009 as v0009
from workstation.models import db
from workstation.models.apply import apply_changes
from workstation.models.search import count_orders

TRIGGERS = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'orders_count%' ORDER BY 1"


def test_upgrade_to_0011_orders_count_by_apply(tmp_path):
    path = copy_of(v0009.OUT.name, tmp_path)
    assert file_rows(path, TRIGGERS) == [("orders_count_delete",), ("orders_count_insert",)]
    n = v0009.N_ORDERS + 1
    ids_before = file_rows(path, "SELECT id, seq FROM orders ORDER BY id")
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE orders_count SET n = n + 5")  # a count that had drifted
    con.close()
    cache = db.open_cache(path)
    try:
        assert file_rows(path, "SELECT version_num FROM alembic_version") == [(db.HEAD_REVISION,)]
        assert file_rows(path, TRIGGERS) == []
        assert file_rows(path, "SELECT id, seq FROM orders ORDER BY id") == ids_before
        assert count_orders(cache.engine) == n
        (top_seq,), = file_rows(path, "SELECT max(seq) FROM orders")
        (old_id,), = file_rows(path, "SELECT min(id) FROM orders")
        new_id = max(i for i, _ in ids_before) + 1
        apply_changes(cache.engine, "orders", [upsert(make_order(new_id, seq=top_seq + 1)),
                                               delete(old_id, top_seq + 2)], next_cursor="after-0011")
        assert count_orders(cache.engine) == n == file_rows(path, "SELECT count(*) FROM orders")[0][0]
        apply_changes(cache.engine, "orders", [upsert(make_order(new_id + 1, seq=top_seq + 3))],
                      next_cursor="after-0011-2")
        assert count_orders(cache.engine) == n + 1 == file_rows(path, "SELECT count(*) FROM orders")[0][0]
        assert file_rows(path, "PRAGMA integrity_check") == [("ok",)]
    finally:
        cache.close()
