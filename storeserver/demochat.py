"""Demo conversations: buyers asking about their own recent orders, in Chinese.

`seed_conversations(conn, shop_id, ...)` writes them through the real chat writes
(storeserver.chat), so every derived field (waiting_since, unread, last_message_*) is what
live traffic would have made. Same seed → same buyers, topics and texts. Closed
conversations happened at their order's time; the open ones are anchored at seeding time
(`now`), a few seconds to minutes ago, so the demo queue shows live wait timers and one
buyer already past the 100 s threshold.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from . import chat
from .models import Order, OrderLine, Sku

_orders, _lines, _skus = Order.__table__, OrderLine.__table__, Sku.__table__

# (topic, statuses it suits, the exchange). "b" = buyer, "a" = agent. The last buyer lines of
# an open-and-waiting conversation are its unanswered questions.
TOPICS = (
    ("ship_faster", ("paid", "documents_made"), (
        ("b", "亲，我的订单{order_no}什么时候发货呀？"),
        ("a", "亲，您的订单已经在打包了，今天下午5点前就能发出哦～"),
        ("b", "能不能快点，周末要穿的"),
        ("a", "好的亲，我这边给仓库备注加急了，发出后第一时间把单号同步给您"),
        ("b", "好的谢谢"),
    )),
    ("logistics", ("shipped",), (
        ("b", "{carrier}单号{tracking_no}怎么两天没动静了？"),
        ("a", "亲，我帮您查一下，{carrier}这两天转运中心压件比较多，物流信息更新会慢一点"),
        ("b", "那大概什么时候能到"),
        ("a", "一般再等1-2天就会更新，我这边也会帮您催一下快递，请您放心"),
        ("b", "好的"),
    )),
    ("arrival", ("shipped", "documents_made"), (
        ("b", "请问发{city}大概几天能到？"),
        ("a", "亲，发{city}一般2-3天就能到哦，{carrier}发货的"),
        ("b", "好的，到了我试一下"),
    )),
    ("bargain", ("unpaid",), (
        ("b", "{product}能便宜点吗？我拍了还没付"),
        ("a", "亲，这款现在已经是活动价了哦，付款后给您送一双袜子"),
        ("b", "买两件能包邮吗"),
        ("a", "可以的亲，两件给您包邮，您放心拍～"),
    )),
    ("size", ("unpaid", "paid"), (
        ("b", "{product}我平时穿M，身高160体重110斤，拍{size}合适吗？"),
        ("a", "亲，按您的身高体重穿M刚好，喜欢宽松一点可以拿L哦"),
        ("b", "{colour}还有货吗？"),
        ("a", "有的亲，{colour}{size}码仓库现货，今天拍今天发"),
    )),
    ("address", ("paid", "documents_made"), (
        ("b", "不好意思，订单{order_no}地址填错了，能帮我改一下吗？"),
        ("a", "亲，还没发货可以改的，麻烦把新地址、收件人和电话发我一下"),
        ("b", "改到{city}{district}，收件人和电话不变"),
        ("a", "好的亲，已经帮您改好并备注了，发货前仓库会再核对一次"),
    )),
    ("cod", ("paid", "shipped", "documents_made"), (
        ("b", "我选的货到付款，要多付钱吗？"),
        ("a", "亲，货到付款快递会多收一点服务费，订单{order_no}到付总共是{total}元，签收时付给快递员就可以"),
        ("b", "哦哦好的，知道了"),
    )),
    ("exchange", ("completed",), (
        ("b", "{product}收到了，尺码偏小，可以换大一号吗？"),
        ("a", "亲，支持7天无理由换货的，吊牌不要剪哦，我给您登记一下换{size}码"),
        ("b", "好的，怎么寄回去？"),
        ("a", "亲，我发您退货地址，您用{carrier}寄回来就行，运费我们承担"),
    )),
)
FAREWELL = (("b", "好的，谢谢"), ("a", "不客气亲，祝您购物愉快，有问题随时找我～"))

# How many of each kind (the open ones are the demo queue).
PLAN = (("waiting_unassigned", 2), ("waiting_mine", 3), ("answered_mine", 1), ("closed", 6))
WAIT_SECONDS = (35, 95, 140, 260, 520, 900)  # open conversations' waits at seeding time


def _recent_orders(conn: Connection, shop_id: int, limit: int = 400) -> list:
    """The newest orders of distinct buyers, newest first, with one line's product."""
    rows = conn.execute(
        select(_orders.c.id, _orders.c.order_no, _orders.c.buyer_id, _orders.c.status,
               _orders.c.payment_method, _orders.c.carrier, _orders.c.tracking_no, _orders.c.city,
               _orders.c.district, _orders.c.total_cents, _orders.c.created_at)
        .where(_orders.c.shop_id == shop_id).order_by(_orders.c.id.desc()).limit(limit)).all()
    seen, out = set(), []
    for r in rows:
        if r.buyer_id not in seen:
            seen.add(r.buyer_id)
            out.append(r)
    return out


def _first_line(conn: Connection, order_id: int):
    return conn.execute(select(_lines.c.product_name, _lines.c.colour, _lines.c.size, _skus.c.product_id)
                        .join(_skus, _skus.c.id == _lines.c.sku_id)
                        .where(_lines.c.order_id == order_id).order_by(_lines.c.id).limit(1)).one_or_none()


def _fits(topic, order) -> bool:
    name, statuses, _ = topic
    return (order.status in statuses and (name != "cod" or order.payment_method == "cod")
            and (name not in ("logistics", "arrival", "exchange") or bool(order.carrier)))


def _choose(orders: list, kinds: list[str], rng: random.Random) -> list[tuple[str, Any, tuple]]:
    """(kind, order, topic) per conversation: topics taken in turn (a varied queue), each
    open one about the newest order that suits it, a closed one about any suitable order;
    one conversation per buyer."""
    topics = list(TOPICS)
    rng.shuffle(topics)
    used: set[int] = set()
    out, turn = [], 0
    for kind in kinds:
        for _ in range(len(topics)):
            topic = topics[turn % len(topics)]
            turn += 1
            fitting = [o for o in orders if o.buyer_id not in used and _fits(topic, o)]
            if fitting:
                order = rng.choice(fitting) if kind == "closed" else fitting[0]
                used.add(order.buyer_id)
                out.append((kind, order, topic))
                break
    return out


def seed_conversations(conn: Connection, shop_id: int, shop_name: str, *, seed: int, now: datetime,
                       agent_nos: tuple[str, ...]) -> int:
    """Writes the demo conversations; `agent_nos[0]` is the demo agent. Returns how many."""
    rng = random.Random(f"chat-{seed}")
    kinds = [k for k, n in PLAN for _ in range(n)]
    if len(agent_nos) > 1:
        kinds.append("waiting_colleague")
    # Closed ones first (older ids), then the queue, longest waiting first.
    plan = sorted(_choose(_recent_orders(conn, shop_id), kinds, rng), key=lambda p: p[0] != "closed")
    waits = iter(sorted(WAIT_SECONDS + (30, 60), reverse=True))
    for kind, order, (_, _, lines) in plan:
        line = _first_line(conn, order.id)
        values = {"order_no": order.order_no, "carrier": order.carrier or "中通",
                  "tracking_no": order.tracking_no or "", "city": order.city, "district": order.district,
                  "product": line.product_name, "colour": line.colour, "size": line.size,
                  "total": f"{order.total_cents / 100:.2f}", "shop": shop_name}
        texts = [(who, text.format(**values)) for who, text in lines]
        if kind == "closed":
            start = order.created_at + timedelta(minutes=rng.randint(5, 240))
            farewell = FAREWELL[1:] if texts[-1][0] == "b" else FAREWELL
            _play(conn, shop_id, order, line, texts + list(farewell), start, rng, shop_name,
                  agent_no=rng.choice(agent_nos), close=True)
            continue
        if kind == "answered_mine":
            texts = texts[:2]
        elif kind == "waiting_unassigned":  # a new buyer nobody has answered yet
            texts = [texts[0], ("b", "在吗？")]
        else:  # answered once, then the buyer asked again
            texts = texts[:3]
        owner = {"waiting_unassigned": None, "waiting_colleague": agent_nos[-1]}.get(kind, agent_nos[0])
        last_at = now - timedelta(seconds=next(waits))
        _play(conn, shop_id, order, line, texts, None, rng, shop_name, agent_no=owner,
              close=False, last_at=last_at)
    return len(plan)


def _play(conn: Connection, shop_id: int, order, line, texts: list[tuple[str, str]],
          start: datetime | None, rng: random.Random, shop_name: str, *, agent_no: str | None,
          close: bool, last_at: datetime | None = None) -> None:
    """One conversation: the buyer's first message, the shop's auto-reply (the server's, as
    live: once per buyer per China-time day, from the shop's settings), the exchange. Starts
    at `start`, or (open ones) ends with its last message at `last_at`."""
    gaps = [rng.randint(15, 90) for _ in texts]
    at = start if start is not None else last_at - timedelta(seconds=sum(gaps[1:]))
    conv_id = None
    for i, (who, text) in enumerate(texts):
        if i:
            at += timedelta(seconds=gaps[i])
        if who == "b":
            # Only the first message may get the greeting (a chat crossing midnight does not
            # get a second one in the middle: the demo stays the same whenever it is seeded).
            got = chat.buyer_message(conn, shop_id, order.buyer_id, text, client_id=_uuid(rng),
                                     product_id=line.product_id if i == 0 else None, now=at,
                                     auto_reply=conv_id is None)
            if conv_id is None:
                conv_id = got.conversation_id
                if agent_no is not None:
                    conv = chat.conversation(conn, shop_id, conv_id)
                    chat.claim(conn, shop_id, conv_id, agent_no=agent_no, base_version=conv.version)
        else:
            conv = chat.conversation(conn, shop_id, conv_id)
            chat.reply(conn, shop_id, conv_id, agent_no=agent_no or "1024", text=text,
                       after_message_id=conv.last_message_id, base_version=conv.version,
                       mutation_id=_uuid(rng), now=at)
    if close:
        conv = chat.conversation(conn, shop_id, conv_id)
        chat.close(conn, shop_id, conv_id, base_version=conv.version, now=at + timedelta(minutes=3))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
