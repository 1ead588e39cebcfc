"""Writes tests/data/cache-v0003-outbox.sqlite: a cache as Workstation left it with schema revision
0003_sync_state_reload_floor (the schema before remarks and the outbox bookkeeping), for
the upgrade test of 0004.

The file is checked in. Re-run only if 0001..0003 change (released migrations are frozen):
    .venv/bin/python tests/data/make_cache_v0003_outbox.py
It starts from the 0001 file's rows (tests/data/make_cache_v0001.py), migrates to 0003 with
the real migrations, then adds what a 0003 release could write: a stream mid-reload and a
write queued after the upgrade.
"""
from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.data import make_cache_v0001 as v0001  # noqa: E402

REVISION = "0003_sync_state_reload_floor"
OUT = Path(__file__).resolve().parent / "cache-v0003-outbox.sqlite"
LATE_OUTBOX = ("6f1c2b1e-0000-4000-8000-000000000005", "order.remark", "orders", 1003, 0,
               '{"text": "周末送货", "flag": 1, "reason": "客户来电"}', "pending", 0, None, None,
               "2024-12-03T14:20:00Z")


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
    shutil.copyfile(v0001.OUT, tmp)
    migrate(tmp)
    con = sqlite3.connect(tmp)
    with con:
        con.execute("UPDATE sync_state SET phase = 'reload', reload_floor = 1002, cursor = 'c-buyers-reload' "
                    "WHERE stream = 'buyers'")
        con.execute("INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload, status, "
                    "attempts, next_attempt_at, last_error, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*LATE_OUTBOX, LATE_OUTBOX[-1]))
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == REVISION
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    tmp.replace(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, revision {REVISION})")


if __name__ == "__main__":
    main()
