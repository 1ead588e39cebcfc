"""Simulated buyers (`storeserver simulate`): they chat with the shop through the buyer relay
(docs/PROTOCOL.md "Buyer relay") of a running server, over HTTP, like the marketplace would.

Each buyer is a real buyer of the shop (read from the database, with their own orders) and
asks what buyers ask, in Chinese, about those orders: bargaining (能便宜点吗/包邮吗), ship
faster (催发货), arrival time, logistics (with their tracking number), size and stock,
address changes, cash on delivery. A new question starts about `rate` times per second
(a Poisson clock; a buyer already in a chat is not picked again); the buyer then waits for
replies through the relay's long poll and answers them (thanks, a follow-up), up to a few
turns. Everything stops by itself after `duration` seconds. Given a seed, who asks what is
deterministic (`Phrasebook`); what the agents answer, and when, is not.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests
from sqlalchemy import Engine, func, select

from .demo_pools import CATEGORIES, COMMUNITIES, REGIONS, ROADS
from .models import Buyer, Order, OrderLine

_buyers, _orders, _lines = Buyer.__table__, Order.__table__, OrderLine.__table__

TOPICS = ("bargain", "ship_faster", "arrival", "logistics", "size_stock", "address_change", "cod")
REPLY_SENDERS = ("agent", "auto")
MAX_TURNS = 3          # follow-ups a buyer sends in one chat
PATIENCE_S = 90.0      # how long a buyer waits for an answer before leaving
WAIT_S = 25.0          # one relay long poll


@dataclass(frozen=True)
class OrderInfo:
    order_no: str
    status: str
    payment_method: str
    carrier: str | None
    tracking_no: str | None
    city: str
    item: str          # product name of the first line
    colour: str
    size: str


@dataclass(frozen=True)
class BuyerProfile:
    buyer_id: int
    nick: str
    orders: tuple[OrderInfo, ...]  # newest first


def load_buyers(engine: Engine, shop_id: int, n: int, seed: int, orders_each: int = 3) -> list[BuyerProfile]:
    """`n` buyers of the shop who have orders (chosen by `seed` among the 5000 most recent
    buyers with orders), each with their newest orders."""
    with engine.connect() as conn:
        ids = conn.execute(select(_orders.c.buyer_id).where(_orders.c.shop_id == shop_id)
                           .group_by(_orders.c.buyer_id).order_by(func.max(_orders.c.id).desc())
                           .limit(5000)).scalars().all()
        chosen = random.Random(seed).sample(sorted(ids), min(n, len(ids)))
        out = []
        for buyer_id in chosen:
            nick = conn.execute(select(_buyers.c.nick).where(_buyers.c.id == buyer_id)).scalar_one()
            rows = conn.execute(select(_orders.c.id, _orders.c.order_no, _orders.c.status,
                                       _orders.c.payment_method, _orders.c.carrier, _orders.c.tracking_no,
                                       _orders.c.city)
                                .where(_orders.c.buyer_id == buyer_id, _orders.c.shop_id == shop_id)
                                .order_by(_orders.c.id.desc()).limit(orders_each)).all()
            orders = []
            for r in rows:
                line = conn.execute(select(_lines.c.product_name, _lines.c.colour, _lines.c.size)
                                    .where(_lines.c.order_id == r.id).order_by(_lines.c.id).limit(1)).first()
                orders.append(OrderInfo(r.order_no, r.status, r.payment_method, r.carrier, r.tracking_no,
                                        r.city, line.product_name if line else "这件衣服",
                                        line.colour if line else "", line.size if line else "M"))
            out.append(BuyerProfile(buyer_id, nick, tuple(orders)))
    return out


# ---- what buyers say -----------------------------------------------------------------------

OPENINGS = ("", "", "", "亲，", "亲，", "你好，", "您好，", "在吗？", "在吗，", "老板，", "客服你好，")
ENDINGS = ("", "", "", "", "谢谢", "谢谢啦", "麻烦了", "急", "~")
QUESTION_WORDS = ("吗", "呢", "多久", "哪了", "么", "怎么办", "什么码")

PHRASES: dict[str, tuple[str, ...]] = {
    "bargain": (
        "{item}能便宜点吗", "这个价格还能再优惠吗？买两件能打折吗", "能包邮吗？我在{city}",
        "有没有优惠券呀，{item}想要{colour}的", "老顾客了，能少点吗", "{item}拍两件包邮吗",
        "别家比你们便宜十块，能不能便宜点", "现在下单有赠品吗",
    ),
    "ship_faster": (
        "订单{order_no}什么时候发货", "催一下发货，订单号{order_no}", "今天能发吗？{order_no}",
        "我拍了好几天了还没发货，{order_no}", "能不能快点发，周末要穿", "{order_no}能加急吗，急用",
        "下午四点前付款今天能发吗",
    ),
    "arrival": (
        "发到{city}几天能到", "{order_no}大概几天能到", "周六之前能到吗？订单{order_no}",
        "用的什么快递？到{city}要多久", "今天下单明天能到{city}吗",
    ),
    "logistics": (
        "物流怎么不动了，单号{tracking_no}", "{carrier}单号{tracking_no}两天没更新了", "帮我查一下物流{tracking_no}",
        "显示已签收但我没收到，{tracking_no}", "快递到哪了？{order_no}", "物流信息一直是已揽收，{tracking_no}",
    ),
    "size_stock": (
        "{item}{size}还有货吗", "{item}偏大还是偏小", "我160斤穿{size}可以吗", "{colour}还会补货吗",
        "{size}码缺货了吗，页面显示有货", "身高165体重110穿什么码", "{item}有没有{colour}的XL",
        "XL还有货吗", "这件偏大还是偏小",
    ),
    "address_change": (
        "地址写错了，改成{new_address}", "订单{order_no}地址能改吗？改到{new_address}",
        "帮我改下收货地址：{new_address}", "收件人电话写错了，能改吗？订单{order_no}",
        "买给朋友的，地址要改成{new_address}",
    ),
    "cod": (
        "能货到付款吗", "支持货到付款吗？{order_no}", "货到付款要多付钱吗", "可以到付吗，我想先看看货",
        "货到付款的订单{order_no}什么时候发",
    ),
}
THANKS = ("好的谢谢", "好的，谢谢亲", "收到，谢谢", "嗯嗯好的", "麻烦了，谢谢", "好的，那我等着", "明白了 👌",
          "行，谢谢客服")
FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "bargain": ("那包邮吗", "再便宜五块我就拍了", "那我现在拍了，记得送赠品哦"),
    "ship_faster": ("那大概几点发？", "发了麻烦告诉我单号", "一定今天发哦"),
    "arrival": ("能发顺丰吗", "那周末能到吗"),
    "logistics": ("那什么时候能更新？", "要是丢件了怎么办", "麻烦帮我催一下快递"),
    "size_stock": ("那我拍{size}吧", "有货的话今天能发吗", "不合适能换吗"),
    "address_change": ("改好了告诉我一声", "电话也改成新的"),
    "cod": ("那我改成货到付款", "到付的话快递费多少"),
}


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@dataclass
class Phrasebook:
    """Questions and answers for one buyer; deterministic for a given random generator."""

    rng: random.Random

    def topic_for(self, buyer: BuyerProfile) -> str:
        order = buyer.orders[0] if buyer.orders else None
        weights = {"bargain": 3, "size_stock": 3, "cod": 1}
        if order is not None:
            if order.status in ("unpaid", "paid", "documents_made"):
                weights |= {"ship_faster": 4, "arrival": 2, "address_change": 2}
            if order.status == "unpaid":
                weights["cod"] = 2
            if order.tracking_no and order.status in ("shipped", "completed", "refunding"):
                weights |= {"logistics": 5, "arrival": 2}
        names = [t for t in TOPICS if t in weights]
        return self.rng.choices(names, [weights[t] for t in names])[0]

    def question(self, buyer: BuyerProfile, topic: str | None = None) -> tuple[str, str]:
        """(topic, text): a question about the buyer's own (newest) order."""
        topic = topic or self.topic_for(buyer)
        order = buyer.orders[0] if buyer.orders else None
        templates = PHRASES[topic]
        if order is None:  # nothing bought yet: only templates without an order in them
            templates = tuple(t for t in templates if "{order_no}" not in t and "{tracking_no}" not in t) or ("能便宜点吗",)
        elif topic == "logistics" and not order.tracking_no:
            templates = tuple(t for t in templates if "{tracking_no}" not in t)
        body = self.rng.choice(templates).format(**self._fields(order))
        text = self.rng.choice(OPENINGS) + body
        if text.endswith(QUESTION_WORDS) and self.rng.random() < 0.6:
            text += "？"
        ending = self.rng.choice(ENDINGS)
        if ending == "~":
            text += "" if text.endswith(("？", "?")) else ending
        elif ending:
            text += ("" if text.endswith(("？", "?")) else "，") + ending
        return topic, text

    def answer(self, topic: str, buyer: BuyerProfile, turn: int) -> tuple[str, bool]:
        """(text, is_question): thanks (ends the chat) or a follow-up question."""
        if turn < MAX_TURNS and self.rng.random() < 0.4:
            order = buyer.orders[0] if buyer.orders else None
            return self.rng.choice(FOLLOW_UPS[topic]).format(**self._fields(order)), True
        return self.rng.choice(THANKS), False

    def _item(self, product_name: str) -> str:
        """How a buyer names the product: 这款连衣裙, not the whole listing title."""
        kind = next((c[0] for c in CATEGORIES if c[0] in product_name), None)
        if kind is None:
            return "这件"
        return self.rng.choice((f"这款{kind}", f"这件{kind}", kind, f"{kind}"))

    def _fields(self, order: OrderInfo | None) -> dict[str, str]:
        province, city, districts = self.rng.choice(REGIONS)
        new_address = (f"{province if province != city else ''}{city}{self.rng.choice(districts)}"
                       f"{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号{self.rng.choice(COMMUNITIES)}"
                       f"{self.rng.randint(1, 30)}栋{self.rng.randint(101, 2808)}")
        if order is None:
            return {"item": "这件", "colour": "黑色", "size": "M", "city": city, "order_no": "",
                    "tracking_no": "", "carrier": "快递", "new_address": new_address}
        return {"item": self._item(order.item), "colour": order.colour or "黑色", "size": order.size or "M",
                "city": order.city or city, "order_no": order.order_no, "tracking_no": order.tracking_no or "",
                "carrier": order.carrier or "快递", "new_address": new_address}


# ---- talking to the relay ------------------------------------------------------------------

@dataclass
class Summary:
    questions: int = 0
    messages_sent: int = 0
    replies_seen: int = 0
    answered_chats: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)  # every request except long polls
    topics: Counter = field(default_factory=Counter)
    sent_at: dict[int, float] = field(default_factory=dict)  # message id -> time.monotonic() its post began

    def line(self) -> str:
        errs = sum(self.errors.values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in self.errors.most_common())})" if errs else ""
        return (f"buyers: {self.questions} questions, {self.messages_sent} messages sent, "
                f"{self.replies_seen} replies seen, {self.answered_chats} chats answered, "
                f"{errs} errors{detail}")


class RelayError(Exception):
    pass


class _Relay:
    """One buyer's HTTP conversation with the relay (its own keep-alive session)."""

    def __init__(self, url: str, key: str, summary: Summary, lock: threading.Lock):
        self.base = url.rstrip("/") + "/api/v1/relay"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Relay {key}"
        self.summary, self.lock = summary, lock

    def send(self, buyer_id: int, text: str) -> int:
        """POST the message (retried with the same client_id, which makes it idempotent)."""
        body = {"client_id": str(uuid.uuid4()), "buyer_id": buyer_id, "text": text, "product_id": None}
        for attempt in range(3):
            started = time.monotonic()
            try:
                r = self.http.post(self.base + "/messages", json=body, timeout=(3, 10))
            except requests.RequestException as exc:
                if attempt == 2:
                    raise RelayError(type(exc).__name__) from None
                time.sleep(0.2 * (attempt + 1))
                continue
            self._latency(started)
            if r.status_code == 200:
                message_id = r.json()["message"]["id"]
                with self.lock:
                    self.summary.messages_sent += 1
                    self.summary.sent_at[message_id] = started
                return message_id
            if r.status_code < 500 or attempt == 2:
                raise RelayError(f"send {r.status_code} {_code(r)}")
            time.sleep(0.2 * (attempt + 1))
        raise RelayError("send failed")

    def wait(self, buyer_id: int, after: int, timeout: float) -> list[dict]:
        try:
            r = self.http.get(f"{self.base}/buyers/{buyer_id}/messages", params={"after": after, "timeout": timeout},
                              timeout=(3, timeout + 10))
        except requests.RequestException as exc:
            raise RelayError(f"wait {type(exc).__name__}") from None
        if r.status_code != 200:
            raise RelayError(f"wait {r.status_code} {_code(r)}")
        return r.json()["messages"]

    def _latency(self, started: float) -> None:
        with self.lock:
            self.summary.latencies_ms.append((time.monotonic() - started) * 1000)

    def close(self) -> None:
        self.http.close()


def _code(r: requests.Response) -> str:
    try:
        return str(r.json().get("code", ""))
    except ValueError:
        return ""


class BuyerSimulator:
    """`run()` blocks for `duration` seconds (or until `stop()`), then returns the Summary."""

    def __init__(self, url: str, relay_key: str, buyers: list[BuyerProfile], *, rate: float,
                 duration: float, seed: int = 1, patience_s: float = PATIENCE_S,
                 log=None):
        if not buyers:
            raise ValueError("no buyers with orders in this shop: seed it first")
        if rate <= 0 or duration <= 0:
            raise ValueError("rate and duration must be positive")
        self.url, self.key, self.buyers = url, relay_key, buyers
        self.rate, self.duration, self.patience_s = rate, duration, patience_s
        self.rng = random.Random(seed)
        self.seed = seed
        self.summary = Summary()
        self._lock = threading.Lock()
        self._busy: set[int] = set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._log = log

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> Summary:
        ends = time.monotonic() + self.duration
        asked = Counter()
        while not self._stop.is_set():
            pause = self.rng.expovariate(self.rate)
            if time.monotonic() + pause >= ends or self._stop.wait(pause):
                break
            with self._lock:
                idle = [b for b in self.buyers if b.buyer_id not in self._busy]
                if not idle:
                    continue
                buyer = self.rng.choice(idle)
                self._busy.add(buyer.buyer_id)
            asked[buyer.buyer_id] += 1
            book = Phrasebook(random.Random(f"{self.seed}:{buyer.buyer_id}:{asked[buyer.buyer_id]}"))
            t = threading.Thread(target=self._chat, args=(buyer, book, ends), daemon=True,
                                 name=f"buyer-{buyer.buyer_id}")
            t.start()
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
        # Chats end by `ends` by themselves (their waits are cut to it); stop() cuts them short.
        grace = time.monotonic() + (2.0 if time.monotonic() < ends else 10.0)
        self._stop.set()
        for t in self._threads:
            t.join(max(0.0, grace - time.monotonic()))
        return self.summary

    def _chat(self, buyer: BuyerProfile, book: Phrasebook, ends: float) -> None:
        relay = _Relay(self.url, self.key, self.summary, self._lock)
        try:
            topic, text = book.question(buyer)
            with self._lock:
                self.summary.questions += 1
                self.summary.topics[topic] += 1
            last = relay.send(buyer.buyer_id, text)
            self._say(buyer, text)
            give_up = min(ends, time.monotonic() + self.patience_s)
            turn, answered = 0, False
            while time.monotonic() < give_up and not self._stop.is_set():
                messages = relay.wait(buyer.buyer_id, last, min(WAIT_S, max(0.0, give_up - time.monotonic())))
                replies = [m for m in messages if m["sender"] in REPLY_SENDERS]
                if messages:
                    last = max(m["id"] for m in messages)
                if not replies:
                    continue
                with self._lock:
                    self.summary.replies_seen += len(replies)
                    if not answered and any(m["sender"] == "agent" for m in replies):
                        self.summary.answered_chats += 1
                if not any(m["sender"] == "agent" for m in replies):
                    continue  # an auto-reply: the buyer waits for a person
                answered = True
                turn += 1
                if self._stop.wait(book.rng.uniform(1.0, 4.0)):  # reading and typing
                    break
                text, more = book.answer(topic, buyer, turn)
                last = max(last, relay.send(buyer.buyer_id, text))
                self._say(buyer, text)
                if not more:
                    break
                give_up = min(ends, time.monotonic() + self.patience_s)
        except RelayError as exc:
            with self._lock:
                self.summary.errors[str(exc)] += 1
        except Exception as exc:  # noqa: BLE001 - counted, and the simulation goes on
            with self._lock:
                self.summary.errors[type(exc).__name__] += 1
        finally:
            relay.close()
            with self._lock:
                self._busy.discard(buyer.buyer_id)

    def _say(self, buyer: BuyerProfile, text: str) -> None:
        if self._log is not None:
            self._log(f"{buyer.nick}: {text}")
