"""Writes tests/data/cache-v0005.sqlite: a cache as Workstation left it with schema revision
0005_search_indexes (the schema before the chat streams of 0006), for the upgrade test of
0006.

The file is checked in. Re-run only if 0001..0005 change (released migrations are frozen):
    .venv/bin/python tests/data/make_cache_v0005.py
It starts from the 0003 outbox file (tests/data/make_cache_v0003_outbox.py: orders, a
stream mid-reload, writes an older release queued), migrates to 0005 with the real
migrations, then adds what a 0005 release writes: every stream on its change feed with a
cursor, a remark in the history, and a remark edit waiting in the outbox with its overlay
(the order row shows the edit; `outbox_shadow` keeps the server's remark).
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.data import make_cache_v0003_outbox as v0003  # noqa: E402

REVISION = "0005_search_indexes"
OUT = Path(__file__).resolve().parent / "cache-v0005.sqlite"
STREAMS_0005 = ("warehouses", "products", "stock", "remarks", "buyers", "orders")
WAITING_REMARK = "6f1c2b1e-0000-4000-8000-000000000006"
MEMO = "周日送货\n【变动事由】客户来电｜工号 1024｜2024-12-07 10:00"
SERVER_MEMO = "已电话确认地址"


def migrate(path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from workstation.models import db

    engine = db.make_engine(path)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, REVISION)  # pinned: NOT head
    finally:
        engine.dispose()


def main() -> None:
    tmp = OUT.with_suffix(".tmp")
    shutil.copyfile(v0003.OUT, tmp)
    migrate(tmp)
    con = sqlite3.connect(tmp)
    with con:
        for stream in STREAMS_0005:
            con.execute("INSERT INTO sync_state (stream, phase, cursor, feed_cursor, total, applied, last_synced_at, "
                        "updated_at) VALUES (?, 'feed', ?, ?, NULL, 3, '2024-12-07T09:00:00Z', "
                        "'2024-12-07T09:00:00Z') ON CONFLICT(stream) DO UPDATE SET phase = 'feed', "
                        "cursor = excluded.cursor, reload_floor = NULL",
                        (stream, f"c-{stream}-0005", f"c-{stream}-0005"))
        con.execute("UPDATE orders SET remark = ?, remark_flag = 2, remark_by = '2048', "
                    "remark_at = '2024-12-07T08:00:00Z', remark_version = 3 WHERE id = 1002", (SERVER_MEMO,))
        con.execute("INSERT INTO remark_history (id, seq, order_id, version, text, flag, reason, agent_no, "
                    "created_at, mutation_id) VALUES (1, 90, 1002, 3, ?, 2, '', '2048', '2024-12-07T08:00:00Z', NULL)",
                    (SERVER_MEMO,))
        server = {"remark": SERVER_MEMO, "remark_flag": 2, "remark_by": "2048", "remark_at": "2024-12-07T08:00:00Z",
                  "remark_version": 3}
        local = {"remark": MEMO, "remark_flag": 1, "remark_by": "1024", "remark_at": "2024-12-07T02:00:00Z"}
        ordinal = con.execute("SELECT max(ordinal) + 1 FROM outbox").fetchone()[0]
        con.execute("INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload, status, "
                    "attempts, created_at, updated_at, ordinal, local_state, base_state) "
                    "VALUES (?, 'order.remark', 'orders', 1002, 3, ?, 'pending', 0, '2024-12-07T02:00:00Z', "
                    "'2024-12-07T02:00:00Z', ?, ?, ?)",
                    (WAITING_REMARK, json.dumps({"text": "周日送货", "flag": 1, "reason": "客户来电"}, ensure_ascii=False),
                     ordinal, json.dumps(local, ensure_ascii=False), json.dumps(server, ensure_ascii=False)))
        con.execute("INSERT INTO outbox_shadow (kind, entity_id, state) VALUES ('order.remark', 1002, ?)",
                    (json.dumps(server, ensure_ascii=False),))
        con.execute("UPDATE orders SET remark = ?, remark_flag = 1, remark_by = '1024', "
                    "remark_at = '2024-12-07T02:00:00Z' WHERE id = 1002", (MEMO,))
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == REVISION
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    tmp.replace(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, revision {REVISION})")


if __name__ == "__main__":
    main()
