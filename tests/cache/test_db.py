"""Opening the cache: create from nothing, reopen at head, refuse a newer file."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import create_engine

from workstation.models import db, schema
from workstation.models.db import CacheError, CacheTooNewError, open_cache
from workstation.models.paths import cache_path


def _names(path, kind):
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}
    finally:
        con.close()


def test_head_revision_constant_matches_the_migration_scripts():
    assert db.HEAD_REVISION == db.script_head()


def test_migrations_create_every_table_from_nothing(tmp_path):
    path = tmp_path / "sub" / "new.sqlite"
    open_cache(path).close()
    tables = _names(path, "table")
    assert {"warehouses", "products", "skus", "stock", "buyers", "orders", "order_lines",
            "sync_state", "outbox", "orders_fts", "orders_count", "alembic_version"} <= tables
    assert {"ix_orders_order_no", "ix_orders_tracking_no", "ix_orders_phone_last4"} <= _names(path, "index")
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == db.HEAD_REVISION
    outbox_cols = {r[1] for r in con.execute("PRAGMA table_info(outbox)")}
    assert {"mutation_id", "kind", "entity", "entity_id", "base_version", "payload", "status",
            "attempts", "next_attempt_at", "last_error", "created_at", "updated_at"} <= outbox_cols


def test_orm_models_match_the_migrated_schema(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    path = tmp_path / "c.sqlite"
    open_cache(path).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.Base.metadata)
    engine.dispose()
    # The FTS5 tables and their shadow tables are not mapped on purpose.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("orders_fts"))]
    assert diff == []


def test_reopen_at_head_is_a_no_op_and_keeps_data(tmp_path):
    path = tmp_path / "c.sqlite"
    c = open_cache(path)
    with c.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO warehouses (id, seq, name, code) VALUES (1, 1, 'A', 'a')")
    c.close()
    before = _names(path, "table")
    c = open_cache(path)
    with c.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM warehouses").scalar() == "A"
    c.close()
    assert _names(path, "table") == before


def test_reopen_at_head_does_not_import_alembic(tmp_path):
    path = tmp_path / "c.sqlite"
    open_cache(path).close()
    code = ("import sys; from pathlib import Path; from workstation.models.db import open_cache; "
            f"open_cache(Path({str(path)!r})).close(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_file_from_a_newer_version_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "c.sqlite"
    open_cache(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '0099_future'")
    con.commit()
    con.close()
    with pytest.raises(CacheTooNewError) as info:
        open_cache(path)
    assert info.value.revision == "0099_future"
    assert "newer" in str(info.value) and str(path) in str(info.value)
    # The file is left alone: the newer app can still use it.
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0099_future"


def test_unreadable_file_raises_cache_error(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError) as info:
        open_cache(path)
    assert str(path) in str(info.value)


def test_cache_path_is_per_server_shop_and_login(data_dir):
    a = cache_path("https://shop.example.com", 1, "alice")
    assert a.parent == data_dir / "cache"
    assert a == cache_path("https://shop.example.com/", 1, "alice")
    others = {cache_path("https://shop.example.com", 2, "alice"), cache_path("https://other.example", 1, "alice"),
              cache_path("https://shop.example.com", 1, "bob"), cache_path("https://shop.example.com", 1, "a/l:i*ce")}
    assert a not in others and len(others) == 4
    assert all(ch not in p.name for p in others for ch in '/\\:*?"<>|')


def test_orm_models_read_synced_rows(tmp_path):
    from datetime import timezone

    from sqlalchemy.orm import Session

    from tests.cache.conftest import make_order, snapshot

    c = open_cache(tmp_path / "c.sqlite")
    snapshot(c.engine, "orders", [make_order(1)])
    with Session(c.engine) as s:
        order = s.get(schema.Order, 1)
        assert order.phone_last4 == "0001" and order.created_at.tzinfo == timezone.utc
        assert [li.qty for li in s.query(schema.OrderLine).filter_by(order_id=1).order_by(schema.OrderLine.id)] == [1, 2]
    c.close()
