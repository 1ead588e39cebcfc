"""Small hand-made wire items (docs/PROTOCOL.md shapes) and a fresh cache per test."""
from __future__ import annotations

import pytest

from workstation.models.db import open_cache


@pytest.fixture
def cache(tmp_path):
    c = open_cache(tmp_path / "cache.sqlite")
    yield c
    c.close()


@pytest.fixture
def engine(cache):
    return cache.engine


def make_order(id: int, seq: int | None = None, **over) -> dict:
    """An order whose searchable fields are derived from its id unless overridden."""
    order = {
        "id": id, "seq": seq if seq is not None else id,
        "order_no": f"2026111100{id:08d}", "buyer_id": 1000 + id, "buyer_nick": f"nick_{id:05d}",
        "status": "paid", "payment_method": "online",
        "total_cents": 12900, "shipping_cents": 0, "discount_cents": 1000,
        "receiver_name": "王小明", "receiver_phone": f"1380000{id:04d}",
        "province": "浙江省", "city": "杭州市", "district": "西湖区", "address_detail": f"文三路{id}号",
        "carrier": "SF", "tracking_no": f"SF{id:010d}",
        "created_at": f"2026-11-{1 + id % 28:02d}T02:13:00Z", "paid_at": "2026-11-11T02:14:00Z",
        "shipped_at": None, "completed_at": None, "closed_at": None,
        "remark": "", "remark_flag": 0, "remark_by": None, "remark_at": None, "remark_version": 0,
        "lines": [
            {"id": id * 10 + 1, "sku_id": 7, "style_no": "ST-1", "product_name": "羊毛衫",
             "colour": "红", "size": "M", "outer_id": "ST-1-RED-M", "qty": 1, "unit_price_cents": 12900},
            {"id": id * 10 + 2, "sku_id": 8, "style_no": "ST-2", "product_name": "围巾",
             "colour": "灰", "size": "F", "outer_id": "ST-2-GRY-F", "qty": 2, "unit_price_cents": 1000},
        ],
    }
    order.update(over)
    return order


def make_buyer(id: int, seq: int | None = None, **over) -> dict:
    buyer = {
        "id": id, "seq": seq if seq is not None else id, "nick": f"nick_{id:05d}", "name": "王小明",
        "phone": "13800001234", "member_level": "vip", "first_order_at": "2025-01-02T03:04:05Z",
        "addresses": [{"receiver": "王小明", "phone": "13800001234", "province": "浙江省",
                       "city": "杭州市", "district": "西湖区", "detail": "文三路1号"}],
    }
    buyer.update(over)
    return buyer


def make_product(id: int, seq: int | None = None, skus: int = 2, **over) -> dict:
    product = {
        "id": id, "seq": seq if seq is not None else id, "style_no": f"ST-{id}", "name": "羊毛衫",
        "category": "女装", "page_price_cents": 12900,
        "skus": [{"id": id * 100 + k, "outer_id": f"ST-{id}-{k}", "colour": "红", "size": "M",
                  "page_price_cents": 12900} for k in range(skus)],
    }
    product.update(over)
    return product


def snapshot(engine, stream, items, *, done=True, next_cursor=None, feed_cursor="feed-0", total=None):
    from workstation.models.apply import apply_snapshot_page

    return apply_snapshot_page(engine, stream, items, next_cursor=None if done else (next_cursor or "snap-1"),
                               done=done, feed_cursor=feed_cursor, total=total)


def upsert(item: dict) -> dict:
    return {"seq": item["seq"], "op": "upsert", "item": item}


def delete(id: int, seq: int) -> dict:
    return {"seq": seq, "op": "delete", "id": id}


def make_conversation(id: int, seq: int | None = None, **over) -> dict:
    """An open conversation with a buyer waiting since minute `id` (docs/PROTOCOL.md)."""
    conv = {
        "id": id, "seq": seq if seq is not None else id, "buyer_id": 1000 + id, "buyer_nick": f"买家{id}",
        "status": "open", "assigned_agent_no": None, "version": 1,
        "created_at": f"2026-11-11T02:{id % 60:02d}:00Z", "waiting_since": f"2026-11-11T02:{id % 60:02d}:00Z",
        "last_message_id": None, "last_message_at": f"2026-11-11T02:{id % 60:02d}:00Z",
        "last_message_sender": "buyer", "last_message_preview": "亲，在吗", "unread": 1,
        "read_upto_message_id": 0, "product_id": None, "transfer_note": None, "transferred_by": None,
        "closed_at": None,
    }
    conv.update(over)
    return conv


def make_message(id: int, conversation_id: int, seq: int | None = None, **over) -> dict:
    msg = {"id": id, "seq": seq if seq is not None else id, "conversation_id": conversation_id,
           "sender": "buyer", "agent_no": None, "text": f"消息{id}",
           "created_at": f"2026-11-11T03:{id % 60:02d}:00Z", "client_id": None}
    msg.update(over)
    return msg


def make_agent(id: int, agent_no: str, seq: int | None = None, **over) -> dict:
    agent = {"id": id, "seq": seq if seq is not None else id, "agent_no": agent_no,
             "display_name": f"客服{agent_no}", "role": "agent", "status": "receiving", "capacity": 5,
             "active": True}
    agent.update(over)
    return agent
