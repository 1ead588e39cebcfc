"""Cache files written by older releases open in this one with nothing lost (Electrum
style: real old files are checked in under tests/data and upgraded here)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cache_upgrade.helpers import DATA, copy_of, file_rows, rows_0008
from tests.data import make_cache_v0001 as v0001
from workstation.models import db
from workstation.models.search import search_orders

V0001 = DATA / "cache-v0001.sqlite"


@pytest.fixture
def old_cache(tmp_path) -> Path:
    return copy_of(V0001.name, tmp_path)


def test_checked_in_file_is_really_at_revision_0001():
    assert file_rows(V0001, "SELECT version_num FROM alembic_version") == [("0001_initial",)]
    assert file_rows(V0001, "SELECT count(*) FROM orders") == [(3,)]
    assert not (DATA / "cache-v0001.sqlite-wal").exists()


def test_cache_from_0001_upgrades_to_head_and_keeps_everything(old_cache):
    tables = ("orders", "order_lines", "buyers", "products", "skus", "stock", "warehouses")
    # The columns 0001 had (later migrations add columns; these must keep their values).
    columns = {t: ", ".join(r[1] for r in file_rows(old_cache, f"PRAGMA table_info({t})")) for t in tables}
    before = {t: rows_0008(old_cache, f"SELECT {columns[t]} FROM {t} ORDER BY 1") for t in tables}
    cache = db.open_cache(old_cache)
    try:
        engine = cache.engine
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == db.HEAD_REVISION
            for table, rows in before.items():
                assert rows_0008(old_cache, f"SELECT {columns[table]} FROM {table} ORDER BY 1") == rows, table
            # sync cursors survive: the next sync resumes where the old release stopped
            state = raw.execute("SELECT stream, phase, cursor, feed_cursor, applied, last_synced_at "
                                "FROM sync_state ORDER BY stream").fetchall()
            assert state == sorted((s[0], s[1], s[2], s[3], s[5], s[6]) for s in v0001.SYNC_STATE)
            # unsent writes are still queued, same idempotency keys, same payloads
            outbox = raw.execute("SELECT mutation_id, status, attempts, payload FROM outbox "
                                 "ORDER BY mutation_id").fetchall()
            assert [(m, s, a, json.loads(p)) for m, s, a, p in outbox] == \
                [(r[0], r[6], r[7], r[5]) for r in sorted(v0001.OUTBOX)]
            waiting = [r[0] for r in raw.execute(
                "SELECT mutation_id FROM outbox WHERE status IN ('pending', 'inflight') ORDER BY mutation_id")]
            assert waiting == sorted(v0001.PENDING_IDS)
        # the search indexes the old release built still answer
        assert [r.id for r in search_orders(engine, "SO-20241111-0002")] == [1002]
        assert [r.id for r in search_orders(engine, "王小明")] == [1003]
        assert [r.id for r in search_orders(engine, "张伟")] == [1002]  # 2-character name path
        assert 1001 in [r.id for r in search_orders(engine, "ZT7730012345")]
        assert {r.id for r in search_orders(engine, "li_mei")} == {1001, 1003}
    finally:
        cache.close()


def test_upgrade_to_0002_sync_state_last_error(old_cache):
    cache = db.open_cache(old_cache)
    try:
        with cache.engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw.execute("SELECT last_error, last_attempt_at FROM sync_state").fetchall() == \
                [(None, None)] * len(v0001.SYNC_STATE)
            raw.execute("UPDATE sync_state SET last_error = 'server unreachable', "
                        "last_attempt_at = '2024-12-03T14:09:00Z' WHERE stream = 'orders'")
        from workstation.models.schema import SyncState
        from sqlalchemy.orm import Session

        with Session(cache.engine) as session:
            row = session.get(SyncState, "orders")
            assert row.last_error == "server unreachable"
            assert row.last_attempt_at.isoformat() == "2024-12-03T14:09:00+00:00"
            assert row.feed_cursor == "c-orders-0042"
    finally:
        cache.close()


def test_old_cache_is_backed_up_before_the_upgrade(old_cache):
    original = file_rows(old_cache, "SELECT * FROM outbox ORDER BY 1")
    db.open_cache(old_cache).close()
    backup = old_cache.with_name("cache.sqlite.0001_initial.bak")
    assert backup.exists()
    assert file_rows(backup, "SELECT version_num FROM alembic_version") == [("0001_initial",)]
    assert file_rows(backup, "SELECT * FROM outbox ORDER BY 1") == original
    db.open_cache(old_cache).close()  # at head now: no new backup, the old one stays
    assert sorted(p.name for p in old_cache.parent.glob("*.bak")) == [backup.name]


def test_cache_from_a_newer_release_is_refused_and_left_untouched(old_cache):
    # Make the file a newer release would leave: upgraded (WAL mode), then stamped ahead.
    db.open_cache(old_cache).close()
    con = sqlite3.connect(old_cache)
    with con:
        con.execute("UPDATE alembic_version SET version_num = '0099_from_a_newer_release'")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for extra in old_cache.parent.glob("*.bak"):
        extra.unlink()
    before = old_cache.read_bytes()

    with pytest.raises(db.CacheTooNewError) as caught:
        db.open_cache(old_cache)

    assert caught.value.revision == "0099_from_a_newer_release"
    assert "newer Workstation" in str(caught.value) and str(old_cache) in str(caught.value)
    assert old_cache.read_bytes() == before
    assert not list(old_cache.parent.glob("*.bak"))  # refused before any backup or write


def test_checked_in_file_has_the_schema_migration_0001_creates(tmp_path):
    """Released migrations are frozen. If this fails, 0001 was edited after the file was
    made: before the first release, re-run tests/data/make_cache_v0001.py; after it, put
    the change in a new migration instead."""
    fresh = tmp_path / "fresh.sqlite"
    v0001.migrate_to_0001(fresh)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    assert file_rows(V0001, schema) == file_rows(fresh, schema)


def test_upgrade_to_0003_sync_state_reload_floor(old_cache):
    """An old file gets the column NULL everywhere (no stream is mid-reload), keeps every
    cursor, and a stream of it can then be reloaded beside its rows."""
    from workstation.models.apply import begin_reload
    from workstation.models.state import get_stream_state

    cache = db.open_cache(old_cache)
    try:
        with cache.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw.execute("SELECT reload_floor FROM sync_state").fetchall() == \
                [(None,)] * len(v0001.SYNC_STATE)
        before = get_stream_state(cache.engine, "orders")
        assert before.phase == "feed" and before.reload_floor is None

        cache.writer.run(begin_reload, "orders")
        assert get_stream_state(cache.engine, "orders").phase == "reload"
        # Lookups still answer from the old rows while the new snapshot arrives.
        assert [r.id for r in search_orders(cache.engine, "SO-20241111-0002")] == [1002]
    finally:
        cache.close()


V0003 = DATA / "cache-v0003-outbox.sqlite"


def test_upgrade_to_0004_remarks_outbox_stock(tmp_path):
    """A 0003 file (made by tests/data/make_cache_v0003_outbox.py): every row, cursor and queued
    write stays; orders get remark_version 0 and stock page_qty 0 until the server's rows
    arrive; queued writes keep their order (ordinal from the insertion order) and can be
    taken for sending; the remarks stream starts empty."""
    from tests.data import make_cache_v0003_outbox as v0003
    from workstation.models import outbox

    path = copy_of(V0003.name, tmp_path)
    assert file_rows(path, "SELECT version_num FROM alembic_version") == [(v0003.REVISION,)]
    before = {t: rows_0008(path, f"SELECT * FROM {t} ORDER BY 1")
              for t in ("orders", "order_lines", "stock", "sync_state", "outbox")}
    order_of_writes = [m for (m,) in file_rows(path, "SELECT mutation_id FROM outbox ORDER BY rowid")]
    cache = db.open_cache(path)
    try:
        with cache.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == db.HEAD_REVISION
            orders = rows_0008(path, "SELECT * FROM orders ORDER BY 1")
            assert [r[:-1] for r in orders] == before["orders"] and {r[-1] for r in orders} == {0}
            assert rows_0008(path, "SELECT * FROM order_lines ORDER BY 1") == before["order_lines"]
            assert raw.execute("SELECT * FROM sync_state ORDER BY 1").fetchall() == before["sync_state"]
            outbox_rows = raw.execute("SELECT * FROM outbox ORDER BY 1").fetchall()
            assert [r[:12] for r in outbox_rows] == before["outbox"]
            assert [m for (m,) in raw.execute("SELECT mutation_id FROM outbox ORDER BY ordinal")] == order_of_writes
            assert raw.execute("SELECT count(*) FROM remark_history").fetchone() == (0,)
            assert raw.execute("SELECT count(*) FROM outbox_shadow").fetchone() == (0,)
        assert search_orders(cache.engine, "王小明")[0].id == 1003
        # The writes an older release queued are still sent, oldest first (the one that was
        # being sent goes back to pending first).
        cache.writer.run(outbox.recover_inflight)
        batch = cache.writer.run(outbox.take_batch)
        waiting = {r[0] for r in v0001.OUTBOX if r[6] != "done"} | {v0003.LATE_OUTBOX[0]}
        assert [e.mutation_id for e in batch] == [m for m in order_of_writes if m in waiting]
    finally:
        cache.close()
