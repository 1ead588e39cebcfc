"""wire: strict validation with readable reasons; valid pages come back as plain wire dicts."""
from __future__ import annotations

import copy

import orjson
import pytest

from workstation.sync import wire
from workstation.sync.errors import PayloadError

LINE = {"id": 11, "sku_id": 3, "style_no": "A100", "product_name": "连衣裙", "colour": "红",
        "size": "M", "outer_id": "A100-R-M", "qty": 1, "unit_price_cents": 500}
ORDER = {"id": 7, "seq": 70, "order_no": "202611110213000007", "buyer_id": 5, "buyer_nick": "小王",
         "status": "paid", "payment_method": "online", "total_cents": 500, "shipping_cents": 0,
         "discount_cents": 0, "receiver_name": "王伟", "receiver_phone": "13800138000",
         "province": "浙江省", "city": "杭州市", "district": "西湖区", "address_detail": "文三路1号",
         "carrier": None, "tracking_no": None, "created_at": "2026-11-11T02:13:00Z",
         "paid_at": "2026-11-11T02:14:00Z", "shipped_at": None, "completed_at": None,
         "closed_at": None, "remark": "", "remark_flag": 0, "remark_by": None, "remark_at": None,
         "remark_version": 0,
         "lines": [LINE]}


def page(items, **over):
    body = {"stream": "orders", "items": items, "next_cursor": "n", "done": False,
            "feed_cursor": "f", "total": len(items)}
    body.update(over)
    return orjson.dumps(body)


def test_valid_snapshot_page_gives_plain_dicts_unchanged():
    p = wire.parse_snapshot_page("orders", page([ORDER]))
    assert type(p.items[0]) is dict and p.items[0] == ORDER
    assert (p.next_cursor, p.done, p.feed_cursor, p.total) == ("n", False, "f", 1)


def test_unknown_extra_fields_are_ignored():
    p = wire.parse_snapshot_page("orders", page([{**ORDER, "future_field": 1}]))
    assert "future_field" not in p.items[0]


@pytest.mark.parametrize("mutate, where", [
    (lambda o: o.pop("created_at"), "items[1].created_at: Field required"),
    (lambda o: o.update(total_cents="500"), "items[1].total_cents"),
    (lambda o: o.update(status="lost"), "items[1].status"),
    (lambda o: o.update(order_no="12345"), "items[1].order_no"),
    (lambda o: o.update(created_at="2026-11-11 02:13"), "items[1].created_at"),
    (lambda o: o.update(remark_flag=9), "items[1].remark_flag"),
    (lambda o: o.update(id=0), "items[1].id"),
    (lambda o: o["lines"][0].update(qty=1.5), "items[1].lines[0].qty"),
    (lambda o: o.update(lines=None), "items[1].lines"),
])
def test_broken_item_names_field_and_item(mutate, where):
    broken = copy.deepcopy(ORDER)
    broken["id"] = 6
    mutate(broken)
    with pytest.raises(PayloadError) as err:
        wire.parse_snapshot_page("orders", page([ORDER, broken]))
    assert where in str(err.value)
    if "items[1].id" not in where:
        assert "(item id 6)" in str(err.value)


@pytest.mark.parametrize("body, reason", [
    (b"not json", "not JSON"),
    (b'{"stream": "orders", "items": []', "not JSON"),
    (b"[]", "invalid orders snapshot page"),
    (page([ORDER], done=True), "done is true but next_cursor is not null"),
    (page([ORDER], next_cursor=None), "done is false but next_cursor is null"),
    (page([ORDER, ORDER]), "duplicate ids"),
    (orjson.dumps({"stream": "orders", "items": [], "next_cursor": None, "done": True,
                   "feed_cursor": "f"}), "total: Field required"),
])
def test_malformed_envelope(body, reason):
    with pytest.raises(PayloadError, match=reason.replace("[", r"\[")):
        wire.parse_snapshot_page("orders", body)


def test_changes_page_discriminates_ops_and_requires_ascending_seq():
    good = {"stream": "orders", "changes": [{"seq": 71, "op": "delete", "id": 3},
                                            {"seq": 72, "op": "upsert", "item": {**ORDER, "seq": 72}}],
            "next_cursor": "c2", "has_more": False}
    p = wire.parse_changes_page("orders", orjson.dumps(good))
    assert p.changes[0] == {"seq": 71, "op": "delete", "id": 3}
    assert p.changes[1]["item"]["seq"] == 72
    bad = copy.deepcopy(good)
    bad["changes"][1]["seq"] = 70
    with pytest.raises(PayloadError, match="not ascending"):
        wire.parse_changes_page("orders", orjson.dumps(bad))
    bad = copy.deepcopy(good)
    bad["changes"][0]["op"] = "merge"
    with pytest.raises(PayloadError, match=r"changes\[0\]"):
        wire.parse_changes_page("orders", orjson.dumps(bad))


def test_every_stream_has_a_parser():
    for stream in wire.STREAM_ORDER:
        empty = {"stream": stream, "items": [], "next_cursor": None, "done": True,
                 "feed_cursor": "f", "total": 0}
        assert wire.parse_snapshot_page(stream, orjson.dumps(empty)).done


def test_login_and_head():
    login = wire.parse_login(orjson.dumps({"token": "t", "expires_at": "2026-11-11T02:13:00Z",
                                           "agent": {"id": 1, "login": "demo", "display_name": "D",
                                                     "agent_no": "1024", "shop_id": 1,
                                                     "shop_name": "S"}}))
    assert login.agent.shop_id == 1
    assert wire.parse_head(b'{"seq": 0, "epoch": 1}').seq == 0
    with pytest.raises(PayloadError):
        wire.parse_login(b'{"token": "", "expires_at": "2026-11-11T02:13:00Z", "agent": {}}')


# ---- the chat streams (issue 9) -----------------------------------------------------------

CONVERSATION = {"id": 3, "seq": 90, "buyer_id": 5, "buyer_nick": "小王", "status": "open",
                "assigned_agent_no": None, "version": 1, "created_at": "2026-11-11T02:13:00Z",
                "waiting_since": "2026-11-11T02:13:00Z", "last_message_id": 9,
                "last_message_at": "2026-11-11T02:13:00Z", "last_message_sender": "buyer",
                "last_message_preview": "亲，在吗", "unread": 1, "read_upto_message_id": 0, "product_id": None,
                "transfer_note": None, "transferred_by": None, "closed_at": None}
MESSAGE = {"id": 9, "seq": 89, "conversation_id": 3, "sender": "buyer", "agent_no": None,
           "text": "亲，在吗\n😊", "created_at": "2026-11-11T02:13:00Z", "client_id": None}
AGENT = {"id": 1, "seq": 3, "agent_no": "1024", "display_name": "演示客服", "role": "agent",
         "status": "receiving", "capacity": 5, "active": True}


@pytest.mark.parametrize("stream, item, mutate", [
    ("conversations", CONVERSATION, lambda c: c.update(status="pending")),
    ("conversations", CONVERSATION, lambda c: c.update(version=0)),
    ("conversations", CONVERSATION, lambda c: c.update(last_message_sender="bot")),
    ("conversations", CONVERSATION, lambda c: c.update(last_message_preview="长" * 61)),
    ("conversations", CONVERSATION, lambda c: c.update(unread=-1)),
    ("messages", MESSAGE, lambda m: m.update(sender="shop")),
    ("messages", MESSAGE, lambda m: m.update(text="长" * 2001)),
    ("messages", MESSAGE, lambda m: m.pop("client_id")),
    ("agents", AGENT, lambda a: a.update(status="busy")),
    ("agents", AGENT, lambda a: a.update(active=1)),
])
def test_chat_entities_are_validated_strictly(stream, item, mutate):
    assert wire.parse_snapshot_page(stream, page([item], stream=stream)).items == [item]
    broken = copy.deepcopy(item)
    mutate(broken)
    with pytest.raises(PayloadError):
        wire.parse_snapshot_page(stream, page([broken], stream=stream))


def test_agent_overdue_threshold_defaults_for_older_servers():
    agent = {"id": 1, "login": "demo", "display_name": "演示", "agent_no": "1024", "shop_id": 1, "shop_name": "店"}
    assert wire.parse_agent(orjson.dumps(agent)).overdue_after_s == 100
    assert wire.parse_agent(orjson.dumps({**agent, "overdue_after_s": 45})).overdue_after_s == 45
    with pytest.raises(PayloadError):
        wire.parse_agent(orjson.dumps({**agent, "overdue_after_s": 0}))


def test_agent_role_defaults_to_agent_and_is_checked():
    agent = {"id": 1, "login": "demo", "display_name": "演示", "agent_no": "1024", "shop_id": 1, "shop_name": "店"}
    assert wire.parse_agent(orjson.dumps(agent)).role == "agent"
    assert wire.parse_agent(orjson.dumps({**agent, "role": "manager"})).role == "manager"
    with pytest.raises(PayloadError):
        wire.parse_agent(orjson.dumps({**agent, "role": "admin"}))


@pytest.mark.parametrize("stream, item, mutate", [
    ("phrases", {"id": 1, "seq": 5, "version": 1, "owner_agent_no": None, "category": "logistics",
                 "title": "查快递", "shortcut": "kd", "text": "单号{tracking_no}", "updated_by": "2048",
                 "updated_at": "2026-11-11T02:00:00Z"}, lambda p: p.update(shortcut="KD")),
    ("shop_settings", {"id": 1, "seq": 6, "version": 1, "shop_name": "棉麻小铺", "auto_reply_enabled": True,
                       "auto_reply_text": "欢迎光临{shop_name}", "cutoff_time": "16:00", "updated_by": None,
                       "updated_at": None}, lambda s: s.update(cutoff_time="25:00")),
    ("buyer_notes", {"id": 1, "seq": 7, "buyer_id": 3, "text": "老客户", "agent_no": "1024",
                     "created_at": "2026-11-11T02:00:00Z", "client_id": None}, lambda n: n.update(text="")),
])
def test_answering_fast_entities_are_validated_strictly(stream, item, mutate):
    assert wire.parse_snapshot_page(stream, page([item], stream=stream)).items == [item]
    broken = copy.deepcopy(item)
    mutate(broken)
    with pytest.raises(PayloadError):
        wire.parse_snapshot_page(stream, page([broken], stream=stream))


def test_presence():
    body = {"others": [{"agent_no": "2048", "display_name": "同事", "state": "typing",
                        "since": "2026-11-11T02:13:00Z"}]}
    (p,) = wire.parse_presence(orjson.dumps(body))
    assert (p.agent_no, p.state) == ("2048", "typing")
    with pytest.raises(PayloadError):
        wire.parse_presence(orjson.dumps({"others": [{**body["others"][0], "state": "sleeping"}]}))
