"""Demo data: deterministic, realistic, and in the wire format."""
from __future__ import annotations

import hashlib
import re
from collections import Counter

import orjson
import pytest

from storeserver.demodata import DEFAULT_END, generate
from storeserver.models import STATUSES

CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _digest(shop) -> str:
    h = hashlib.sha256(shop.shop_name.encode())
    for part in (shop.warehouses(), shop.products(), shop.stock(), shop.buyers(), shop.orders()):
        for item in part:
            h.update(orjson.dumps(item, option=orjson.OPT_SORT_KEYS))
    return h.hexdigest()


def test_same_seed_same_data_other_seed_other_data():
    assert _digest(generate(800, seed=3)) == _digest(generate(800, seed=3))
    assert _digest(generate(800, seed=3)) != _digest(generate(800, seed=4))
    assert _digest(generate(800)) == _digest(generate(800, seed=1, end=DEFAULT_END))


@pytest.fixture(scope="module")
def shop():
    return generate(6000, seed=11)


@pytest.fixture(scope="module")
def orders(shop):
    return list(shop.orders())


@pytest.fixture(scope="module")
def buyers(shop):
    return list(shop.buyers())


def test_realistic_order_mix(orders):
    statuses = Counter(o["status"] for o in orders)
    assert set(statuses) == set(STATUSES)
    assert statuses["completed"] > len(orders) / 2  # most history is done
    cod = sum(o["payment_method"] == "cod" for o in orders) / len(orders)
    assert 0.05 <= cod <= 0.10
    assert all(re.fullmatch(r"\d{18}", o["order_no"]) for o in orders)
    assert len({o["order_no"] for o in orders}) == len(orders)
    assert [o["id"] for o in orders] == list(range(1, len(orders) + 1))
    created = [o["created_at"] for o in orders]
    assert created == sorted(created)  # ids increase with created_at
    assert all(1 <= len(o["lines"]) <= 3 for o in orders)
    assert sum(bool(o["remark"]) for o in orders) > len(orders) * 0.03
    assert {o["remark_flag"] for o in orders if o["remark"]} == {1, 2, 3, 4, 5}
    assert set(o["carrier"] for o in orders if o["carrier"]) == {"中通", "圆通", "韵达", "申通", "顺丰", "极兔", "EMS"}


def test_orders_are_internally_consistent(orders):
    end = DEFAULT_END.strftime("%Y-%m-%dT%H:%M:%SZ")
    for o in orders:
        lines_total = sum(ln["qty"] * ln["unit_price_cents"] for ln in o["lines"])
        assert o["total_cents"] == max(0, lines_total + o["shipping_cents"] - o["discount_cents"])
        times = [o[k] for k in ("created_at", "paid_at", "shipped_at", "completed_at", "closed_at", "remark_at")]
        assert all(t is None or (TIME.match(t) and o["created_at"] <= t <= end) for t in times), o
        shipped = o["status"] in ("shipped", "completed")
        assert (o["shipped_at"] is not None) == (o["tracking_no"] is not None) == (o["carrier"] is not None)
        if shipped:
            assert o["tracking_no"] and o["shipped_at"]
        if o["status"] == "unpaid":
            assert o["paid_at"] is None
        if o["payment_method"] == "cod" and o["status"] != "completed":
            assert o["paid_at"] is None  # cash on delivery is collected at the door
        assert (o["remark"] == "") == (o["remark_by"] is None) == (o["remark_at"] is None)


def test_recent_orders_are_still_moving(orders):
    recent = Counter(o["status"] for o in orders if o["created_at"] >= "2026-11-10")
    old = Counter(o["status"] for o in orders if o["created_at"] < "2026-09-01")
    assert recent["unpaid"] + recent["paid"] + recent["documents_made"] > 0
    assert old["unpaid"] == old["paid"] == old["documents_made"] == 0


def test_buyers_look_like_real_people(buyers, orders):
    assert all(CJK.match(b["name"]) for b in buyers)
    assert all(re.fullmatch(r"1[3-9]\d{9}", b["phone"]) for b in buyers)
    assert all(re.fullmatch(r"1[3-9]\d{9}", a["phone"]) for b in buyers for a in b["addresses"])
    assert any(re.fullmatch(r"[a-z_0-9]+", b["nick"]) for b in buyers)  # latin nicks exist
    assert any(re.search(r"[\u4e00-\u9fff]", b["nick"]) for b in buyers)
    assert {b["member_level"] for b in buyers} == {"normal", "member", "vip"}
    assert [b["id"] for b in buyers] == list(range(1, len(buyers) + 1))
    first = {}
    for o in orders:
        first.setdefault(o["buyer_id"], o["created_at"])
    assert {b["id"]: b["first_order_at"] for b in buyers} == first  # every buyer has ordered


def test_catalogue_and_stock(shop):
    warehouses, products, stock = shop.warehouses(), shop.products(), shop.stock()
    assert 2 <= len(warehouses) <= 3 and warehouses[0]["name"] == "杭州主仓"
    assert 150 <= len(products) <= 300
    skus = [s for p in products for s in p["skus"]]
    assert len({s["outer_id"] for s in skus}) == len(skus)
    assert {"S", "M", "L", "XL"} <= {s["size"] for s in skus}
    assert len(stock) == len(skus) * len(warehouses)
    assert 0 < sum(s["qty"] == 0 for s in stock) < len(stock) / 2
    assert all(0 <= s["reserved"] <= max(s["qty"], 0) for s in stock)
    # The shop page is kept by hand: a realistic share of rows is out of step with the real
    # count, including SKUs the page offers that are gone, and stock the page hides.
    free = [max(0, s["qty"] - s["reserved"]) for s in stock]
    off = [s for s, f in zip(stock, free) if s["page_qty"] != f]
    assert 0.1 * len(stock) < len(off) < 0.3 * len(stock)
    assert any(s["qty"] == 0 and s["page_qty"] > 0 for s in stock)
    assert any(f > 0 and s["page_qty"] == 0 for s, f in zip(stock, free))
    assert all(s["page_qty"] >= 0 for s in stock)


def test_seqs_unique_and_increasing_in_stream_order(shop):
    seqs = [x["seq"] for part in (shop.warehouses(), shop.products(), shop.stock(), shop.buyers(), shop.orders())
            for x in part]
    assert seqs == list(range(1, len(seqs) + 1))
    assert seqs[-1] == shop.last_seq


def test_empty_and_tiny_shops():
    assert list(generate(0).orders()) == [] and list(generate(0).buyers()) == []
    one = generate(1)
    assert len(list(one.orders())) == 1 and len(list(one.buyers())) == 1


def _chat_of(tmp_path, name: str, **kw):
    from sqlalchemy import select

    from storeserver.db import make_engine, upgrade
    from storeserver.models import Agent, Conversation, Message, Order
    from storeserver.seed import seed_demo

    engine = make_engine(f"sqlite:///{tmp_path / name}")
    upgrade(engine)
    shop_id = seed_demo(engine, 120, seed=4, **kw)
    with engine.connect() as conn:
        convs = conn.execute(select(Conversation.__table__).order_by(Conversation.id)).all()
        msgs = conn.execute(select(Message.__table__).order_by(Message.id)).all()
        orders = conn.execute(select(Order.buyer_id, Order.order_no, Order.tracking_no)
                              .where(Order.shop_id == shop_id)).all()
        agents = conn.execute(select(Agent.agent_no).order_by(Agent.id)).scalars().all()
    engine.dispose()
    return convs, msgs, orders, agents


def test_demo_conversations_are_deterministic_and_about_the_buyers_own_orders(tmp_path):
    convs, msgs, orders, agents = _chat_of(tmp_path, "a.sqlite3")
    again = _chat_of(tmp_path, "b.sqlite3")
    shape = lambda cs, ms: ([(c.buyer_id, c.status, c.assigned_agent_no, c.unread) for c in cs],
                            [(m.conversation_id, m.sender, m.agent_no, m.text) for m in ms])
    assert shape(convs, msgs) == shape(again[0], again[1])
    assert agents == ["1024"]
    open_ = [c for c in convs if c.status == "open"]
    waiting = [c for c in open_ if c.waiting_since is not None]
    assert {c.assigned_agent_no for c in waiting} == {None, "1024"}
    assert sum(c.assigned_agent_no is None for c in waiting) >= 2 and len(waiting) >= 4
    assert sum(c.status == "closed" for c in convs) >= 4
    assert len({c.buyer_id for c in open_}) == len(open_)  # one open conversation per buyer
    assert all(CJK_TEXT.search(m.text) for m in msgs)
    # Buyers name their own order numbers and tracking numbers, never someone else's.
    own = {}
    for buyer_id, order_no, tracking in orders:
        own.setdefault(buyer_id, set()).update({order_no, tracking} - {None})
    by_conv = {c.id: c.buyer_id for c in convs}
    quoted = [(m, ref) for m in msgs for ref in re.findall(r"[0-9A-Z]{11,18}", m.text)]
    assert quoted and all(ref in own[by_conv[m.conversation_id]] for m, ref in quoted)
    # At least one buyer is already past the 100 s threshold when the demo starts.
    now = max(m.created_at for m in msgs)
    assert any((now - c.waiting_since).total_seconds() > 100 for c in waiting)


def test_the_demo_with_a_second_agent_gives_it_a_buyer(tmp_path):
    convs, _, _, agents = _chat_of(tmp_path, "c.sqlite3", second_agent=True)
    assert agents == ["1024", "2048"]
    assert any(c.assigned_agent_no == "2048" and c.status == "open" for c in convs)


CJK_TEXT = re.compile(r"[\u4e00-\u9fff]")
