"""Conversations in a real cache file, as the sync writes them (wire-format entities through
`models.apply`), for the chat UI tests. Times are fixed: tests drive the queue's clock."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from tests.ui.helpers import build_cache

NOW = datetime(2026, 12, 1, 12, 0, 0)  # naive UTC, like the cache's times
ME = "1024"
COLLEAGUE = "2048"


def wire_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def conversation(cid: int, *, buyer_id: int, nick: str, waiting_s: int | None, assigned: str | None = ME,
                 status: str = "open", unread: int = 0, last_id: int | None = None, preview: str = "",
                 seq: int | None = None, version: int = 1, read_upto: int = 0) -> dict:
    waiting = None if waiting_s is None else wire_time(NOW - timedelta(seconds=waiting_s))
    last_at = waiting or wire_time(NOW - timedelta(minutes=30))
    return {"id": cid, "seq": seq or cid, "buyer_id": buyer_id, "buyer_nick": nick, "status": status,
            "assigned_agent_no": assigned, "version": version, "created_at": wire_time(NOW - timedelta(hours=1)),
            "waiting_since": waiting, "last_message_id": last_id, "last_message_at": last_at,
            "last_message_sender": "buyer" if waiting_s is not None else "agent",
            "last_message_preview": preview[:60], "unread": unread, "read_upto_message_id": read_upto,
            "product_id": None, "transfer_note": None, "transferred_by": None,
            "closed_at": wire_time(NOW) if status == "closed" else None}


def message(mid: int, cid: int, text: str, *, sender: str = "buyer", agent_no: str | None = None,
            ago_s: int = 60, seq: int | None = None, client_id: str | None = None) -> dict:
    return {"id": mid, "seq": seq or mid, "conversation_id": cid, "sender": sender,
            "agent_no": agent_no if sender in ("agent", "system") else None, "text": text,
            "created_at": wire_time(NOW - timedelta(seconds=ago_s)), "client_id": client_id}


def agent(aid: int, agent_no: str, name: str, *, status: str = "receiving", active: bool = True) -> dict:
    return {"id": aid, "seq": aid, "agent_no": agent_no, "display_name": name, "role": "agent",
            "status": status, "capacity": 5, "active": active}


# Four open conversations and a closed one. Buyers' ids follow tests/ui/helpers.make_order
# (buyer 100 + i % 6), so each buyer has cached orders.
CONVERSATIONS = [
    conversation(1, buyer_id=101, nick="li_mei", waiting_s=60, unread=1, last_id=12, preview="还有L码吗？"),
    conversation(2, buyer_id=102, nick="tb_zw2024", waiting_s=312, unread=2, last_id=22, preview="亲,什么时候发货?"),
    conversation(3, buyer_id=103, nick="sunny_liu", waiting_s=None, last_id=31, preview="好的,谢谢"),
    conversation(4, buyer_id=104, nick="chenjing", waiting_s=30, assigned=None, unread=1, last_id=41,
                 preview="在吗"),
    conversation(5, buyer_id=105, nick="oy_ming", waiting_s=None, status="closed", last_id=51, preview="再见"),
]
MESSAGES = [
    message(11, 1, "你好", ago_s=600),
    message(12, 1, "还有L码吗？", ago_s=60),
    message(21, 2, "我的订单", ago_s=400),
    message(22, 2, "亲,什么时候发货?", ago_s=312),
    message(31, 3, "发货了吗", ago_s=2000),
    message(32, 3, "今天下午发出，顺丰", sender="agent", agent_no=ME, ago_s=1900),
    message(33, 3, "好的,谢谢", ago_s=1800),
    message(41, 4, "在吗", ago_s=30),
    message(51, 5, "再见", ago_s=5000),
]
AGENTS = [agent(1, ME, "王小二"), agent(2, COLLEAGUE, "李小美"), agent(3, "3072", "赵六", status="paused")]


def build_chat_cache(path: Path, n_orders: int = 30):
    """A real cache file with orders, the agents, the conversations and their messages."""
    from workstation.models.apply import apply_snapshot_page

    cache = build_cache(path, n=n_orders)
    for stream, items in (("agents", AGENTS), ("conversations", CONVERSATIONS), ("messages", MESSAGES)):
        apply_snapshot_page(cache.engine, stream, list(reversed(items)), next_cursor=None, done=True,
                            feed_cursor="feed-0", total=len(items))
    return cache


def buyer_writes(cache, cid: int, mid: int, text: str, *, seq: int, ago_s: int = 0, waiting_s: int | None = None,
                 base: dict | None = None, unread: int = 1):
    """A buyer's message arriving from the server (a change page through the cache writer):
    the message and its conversation, as the server bumps them together. Returns the future."""
    from workstation.models.apply import apply_changes

    old = base or next(c for c in CONVERSATIONS if c["id"] == cid)
    conv = dict(old, seq=seq, last_message_id=mid, last_message_sender="buyer",
                last_message_at=wire_time(NOW - timedelta(seconds=ago_s)), last_message_preview=text[:60],
                unread=unread)
    if conv["waiting_since"] is None or waiting_s is not None:
        conv["waiting_since"] = wire_time(NOW - timedelta(seconds=waiting_s if waiting_s is not None else ago_s))
    msg = message(mid, cid, text, ago_s=ago_s, seq=seq)

    def job(engine):
        a = apply_changes(engine, "messages", [{"seq": seq, "op": "upsert", "item": msg}], next_cursor=f"m-{seq}")
        b = apply_changes(engine, "conversations", [{"seq": seq, "op": "upsert", "item": conv}],
                          next_cursor=f"c-{seq}")
        return a.merge(b)

    return cache.writer.submit(job)


class Clock:
    """The queue's clock, moved by the test."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
