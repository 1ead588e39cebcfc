"""0008_orders_buyer_status: a real cache from before it (tests/data/cache-v0006.sqlite, the
newest checked-in file; 0007 and 0008 both run on it) gets the index that makes a buyer's
refund count an index-only search, and keeps every row; the buyer panel reads it."""
from __future__ import annotations

from tests.cache_upgrade.helpers import copy_of, file_rows, rows_0008
from workstation.models import buyers, db

TABLES = ("orders", "order_lines", "buyers", "outbox", "outbox_shadow", "sync_state", "conversations", "messages")


def test_upgrade_to_0008_orders_buyer_status(tmp_path):
    path = copy_of("cache-v0006.sqlite", tmp_path)
    before = {t: rows_0008(path, f"SELECT * FROM {t} ORDER BY 1") for t in TABLES}
    assert file_rows(path, "SELECT name FROM sqlite_master WHERE name = 'ix_orders_buyer_status'") == []
    cache = db.open_cache(path)
    try:
        assert file_rows(path, "SELECT version_num FROM alembic_version") == [(db.HEAD_REVISION,)]
        for table, rows in before.items():
            assert rows_0008(path, f"SELECT * FROM {table} ORDER BY 1") == rows, table
        assert file_rows(path, "SELECT name FROM sqlite_master WHERE name = 'ix_orders_buyer_status'") == [
            ("ix_orders_buyer_status",)]
        (buyer_id, n), = file_rows(path, "SELECT buyer_id, count(*) FROM orders GROUP BY buyer_id "
                                         "ORDER BY count(*) DESC LIMIT 1")
        profile = buyers.profile(cache.engine, buyer_id)
        assert profile is not None and profile.orders == n
        plan = file_rows(path, "EXPLAIN QUERY PLAN SELECT count(*) FROM orders WHERE buyer_id = 1 "
                               "AND status IN ('refunding', 'refunded')")
        assert "COVERING INDEX ix_orders_buyer_status" in " ".join(r[-1] for r in plan)
    finally:
        cache.close()
