"""Writes tests/data/cache-v0006.sqlite: a cache as Workstation left it with schema revision
0006_conversations (the schema before the quick phrases, shop settings and buyer notes of
0007), for the upgrade test of 0007.

The file is checked in. Re-run only if 0001..0006 change (released migrations are frozen):
    .venv/bin/python tests/data/make_cache_v0006.py
It starts from the 0005 file (tests/data/make_cache_v0005.py: orders, a remark edit waiting
with its overlay), migrates to 0006 with the real migrations, then adds what a 0006 release
writes, through the 0006 code paths that only touch 0006 tables: the chat streams loaded (a
conversation with two messages, two agents) with their feed cursors, and a reply waiting in
the outbox.
"""
from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.data import make_cache_v0005 as v0005  # noqa: E402

REVISION = "0006_conversations"
OUT = Path(__file__).resolve().parent / "cache-v0006.sqlite"
WAITING_REPLY_TEXT = "亲，今天下午就给您发出"
CONVERSATION = {
    "id": 7, "seq": 120, "buyer_id": 501, "buyer_nick": "tb_lily", "status": "open", "assigned_agent_no": "1024",
    "version": 2, "created_at": "2024-12-07T09:30:00Z", "waiting_since": "2024-12-07T09:31:00Z",
    "last_message_id": 71, "last_message_at": "2024-12-07T09:31:00Z", "last_message_sender": "buyer",
    "last_message_preview": "什么时候发货", "unread": 1, "read_upto_message_id": 70, "product_id": None,
    "transfer_note": None, "transferred_by": None, "closed_at": None,
}
MESSAGES = [
    {"id": 70, "seq": 118, "conversation_id": 7, "sender": "buyer", "agent_no": None, "text": "在吗",
     "created_at": "2024-12-07T09:30:00Z", "client_id": None},
    {"id": 71, "seq": 119, "conversation_id": 7, "sender": "buyer", "agent_no": None, "text": "什么时候发货",
     "created_at": "2024-12-07T09:31:00Z", "client_id": None},
]
AGENTS = [
    {"id": 1, "seq": 101, "agent_no": "1024", "display_name": "小美", "role": "agent", "status": "receiving",
     "capacity": 5, "active": True},
    {"id": 2, "seq": 102, "agent_no": "2048", "display_name": "店长老王", "role": "manager", "status": "paused",
     "capacity": 5, "active": True},
]


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


def add_chat(path: Path) -> None:
    from datetime import datetime, timezone

    from workstation.models import conversations as chat
    from workstation.models import db
    from workstation.models.apply import apply_snapshot_page

    engine = db.make_engine(path)
    try:
        for stream, items in (("conversations", [CONVERSATION]), ("messages", MESSAGES), ("agents", AGENTS)):
            apply_snapshot_page(engine, stream, items, next_cursor=None, done=True,
                                feed_cursor=f"c-{stream}-0006", total=len(items))
        chat.send_reply(engine, 7, WAITING_REPLY_TEXT, agent_no="1024",
                        now=datetime(2024, 12, 7, 9, 32, tzinfo=timezone.utc))
    finally:
        engine.dispose()


def main() -> None:
    tmp = OUT.with_suffix(".tmp")
    shutil.copyfile(v0005.OUT, tmp)
    migrate(tmp)
    add_chat(tmp)
    con = sqlite3.connect(tmp)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == REVISION
    assert con.execute("SELECT count(*) FROM outbox WHERE kind = 'message.reply'").fetchone()[0] == 1
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    tmp.replace(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, revision {REVISION})")


if __name__ == "__main__":
    main()
