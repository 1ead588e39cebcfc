"""0005_search_indexes: a real cache of the schema before it (tests/data/cache-v0003.sqlite,
made by make_cache_v0003.py) gets the new search indexes, rebuilt with progress, and keeps
every row, cursor and unsent write."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cache_upgrade.helpers import DATA, copy_of, file_rows, rows_0008
from tests.data import make_cache_v0003 as v0003
from workstation.models import db
from workstation.models.search import count_orders, search_orders

V0003 = DATA / "cache-v0003.sqlite"


@pytest.fixture
def old_cache(tmp_path) -> Path:
    return copy_of(V0003.name, tmp_path)


def test_checked_in_file_is_really_at_revision_0003():
    assert file_rows(V0003, "SELECT version_num FROM alembic_version") == [("0003_sync_state_reload_floor",)]
    assert file_rows(V0003, "SELECT count(*) FROM orders") == [(5,)]
    assert file_rows(V0003, "SELECT name FROM sqlite_master WHERE name = 'orders_short'") == [("orders_short",)]


def test_checked_in_file_has_the_schema_migrations_0001_to_0003_create(tmp_path):
    """Released migrations are frozen: if this fails, one of 0001-0003 was edited."""
    fresh = tmp_path / "fresh.sqlite"
    v0003.migrate_to(fresh, v0003.REVISION)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    assert file_rows(V0003, schema) == file_rows(fresh, schema)


def test_upgrade_to_0005_search_indexes(old_cache):
    tables = ("orders", "order_lines", "buyers", "products", "skus", "stock", "warehouses", "sync_state", "outbox")
    # The columns the 0003 file has (0004 adds some on the way; their own test covers them).
    columns = {t: ", ".join(r[1] for r in file_rows(old_cache, f"PRAGMA table_info({t})")) for t in tables}
    before = {t: rows_0008(old_cache, f"SELECT {columns[t]} FROM {t} ORDER BY 1") for t in tables}
    progress: list[tuple[int, int]] = []
    cache = db.open_cache(old_cache, progress=lambda done, total: progress.append((done, total)))
    try:
        for table, rows in before.items():
            assert rows_0008(old_cache, f"SELECT {columns[table]} FROM {table} ORDER BY 1") == rows, table
        assert (5, 5) in progress  # 0005's index rebuild (0009 reports its own rows after it)
        names = {r[0] for r in file_rows(old_cache, "SELECT name FROM sqlite_master")}
        assert {"orders_fts", "orders_count"} <= names and "orders_short" not in names
        waiting = [json.loads(p) for (p,) in file_rows(
            old_cache, "SELECT payload FROM outbox WHERE status IN ('pending', 'inflight') ORDER BY mutation_id")]
        assert {"remark": "柠檬色缺货，换黄色", "flag": 1} in waiting

        engine = cache.engine
        assert count_orders(engine) == 5
        # what the old indexes answered, they still answer
        assert [r.id for r in search_orders(engine, "SO-20241111-0002")] == [1002]
        assert [r.id for r in search_orders(engine, "王小明")] == [1003]
        assert {r.id for r in search_orders(engine, "li_mei")} == {1001, 1003}
        # and what only the new ones find
        assert [r.id for r in search_orders(engine, "柠檬")] == [1004]
        assert [r.id for r in search_orders(engine, "长江")] == [1004]
        assert [r.id for r in search_orders(engine, "张伟 5678")] == [1004]
        assert [r.id for r in search_orders(engine, "5678 张伟")] == [1004]
        assert [r.id for r in search_orders(engine, "西湖区 5678")] == [1001]
        assert [r.id for r in search_orders(engine, "tb_lily 杭州")] == [1005]
        assert [r.id for r in search_orders(engine, "0099887")] == [1005]  # middle of a tracking no.
    finally:
        cache.close()


def test_downgrade_from_0005_restores_the_old_indexes(old_cache):
    from alembic import command

    db.open_cache(old_cache).close()
    engine = db.make_engine(old_cache)
    try:
        cfg = db._alembic_config(None)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003_sync_state_reload_floor")
    finally:
        engine.dispose()
    assert file_rows(old_cache, "SELECT rowid FROM orders_short WHERE orders_short MATCH '\"张伟\"' ORDER BY 1") == \
        [(1002,), (1004,)]
    assert file_rows(old_cache, "SELECT rowid FROM orders_fts WHERE orders_fts MATCH '\"王小明\"'") == [(1003,)]
