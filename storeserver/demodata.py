"""Deterministic demo data for a Chinese clothing shop, as PROTOCOL.md wire entities.

`generate(n_orders, seed, end)` returns a `DemoShop` whose iterators stream buyers and
orders without holding them (memory stays flat at a million orders). Same seed → same data.

How it stays cheap: orders follow a *timeline* (a per-day count from trend, weekday and
promotion weights, then sorted times within each day) drawn from its own RNG, so buyers()
and orders() replay the same timeline; a buyer's attributes come from a hash of its id
(splitmix64) rather than stored state, so an order can look its buyer up for free.
"""
from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import accumulate

from . import demo_pools as P

DEFAULT_END = datetime(2026, 11, 11, 16, 0, 0, tzinfo=timezone.utc)  # 双十一 ends (Beijing midnight)
DAYS = 730
BUYERS_PER_ORDER = 0.45
_M64 = (1 << 64) - 1
_BEIJING = 8 * 3600
# Order-number scrambler: a bijection of the id modulo 10**12 (the multiplier is coprime with 10).
_NO_MUL, _NO_ADD = 7_3856_0935_7531, 4_1729_3370_0571

# Status mix by age (seconds, cumulative weights) - young orders are still moving.
_STATUS_BY_AGE = (
    (2 * 3600, ("unpaid", "paid", "documents_made", "closed"), (30, 55, 5, 10)),
    (86400, ("unpaid", "paid", "documents_made", "shipped", "closed"), (6, 34, 25, 30, 5)),
    (3 * 86400, ("paid", "documents_made", "shipped", "closed", "refunding"), (6, 8, 74, 7, 5)),
    (10 * 86400, ("shipped", "completed", "closed", "refunding", "refunded"), (45, 38, 7, 6, 4)),
    (30 * 86400, ("shipped", "completed", "closed", "refunding", "refunded"), (5, 78, 8, 3, 6)),
    (None, ("completed", "closed", "refunded", "refunding"), (850, 80, 65, 5)),
)
_STATUS_TABLE = tuple((lim, names, list(accumulate(w))) for lim, names, w in _STATUS_BY_AGE)
_HOUR_W = (6, 3, 1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 9, 8, 9, 9, 8, 7, 7, 9, 12, 14, 13, 10)  # Beijing hours
_HOUR_W_PROMO = (60, 25, 8, 3, 2, 1, 1, 2, 4, 6, 8, 9, 8, 7, 8, 8, 7, 6, 6, 8, 11, 14, 16, 20)
_CARRIER_NAMES = [c for c, _ in P.CARRIERS]
_CARRIER_CUM = list(accumulate(w for _, w in P.CARRIERS))


def _mix(x: int) -> int:
    """splitmix64: a cheap, well-spread hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def order_no_for(order_id: int, created_at: datetime) -> str:
    """18 digits: the Beijing date (yymmdd) + 12 scrambled digits unique per id."""
    day = (created_at.replace(tzinfo=None) + timedelta(hours=8)).strftime("%y%m%d")
    return f"{day}{(order_id * _NO_MUL + _NO_ADD) % 10**12:012d}"


def tracking_no(carrier: str, rng: random.Random) -> str:
    """A tracking number in the carrier's usual shape."""
    d = rng.randrange
    if carrier == "中通":
        return f"7{d(10**13):013d}"
    if carrier == "圆通":
        return f"YT{d(10**13):013d}"
    if carrier == "韵达":
        return f"43{d(10**11):011d}"
    if carrier == "申通":
        return f"773{d(10**12):012d}"
    if carrier == "顺丰":
        return f"SF{d(10**13):013d}"
    if carrier == "极兔":
        return f"JT{d(10**13):013d}"
    return f"11{d(10**11):011d}"  # EMS domestic


class _Clock:
    """Formats epoch seconds as wire times, caching the date part per day."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._nos: dict[int, str] = {}

    def iso(self, ts: int) -> str:
        day, rem = divmod(ts, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = datetime.fromtimestamp(day * 86400, timezone.utc).strftime("%Y-%m-%dT")
        h, rem = divmod(rem, 3600)
        m, s = divmod(rem, 60)
        return f"{prefix}{h:02d}:{m:02d}:{s:02d}Z"

    def order_no(self, order_id: int, ts: int) -> str:
        day = (ts + _BEIJING) // 86400
        prefix = self._nos.get(day)
        if prefix is None:
            prefix = self._nos[day] = datetime.fromtimestamp(day * 86400, timezone.utc).strftime("%y%m%d")
        return f"{prefix}{(order_id * _NO_MUL + _NO_ADD) % 10**12:012d}"


def generate(n_orders: int, seed: int = 1, end: datetime | None = None) -> "DemoShop":
    return DemoShop(n_orders, seed, end)


class DemoShop:
    def __init__(self, n_orders: int, seed: int = 1, end: datetime | None = None):
        if n_orders < 0:
            raise ValueError("n_orders must be >= 0")
        end = end or DEFAULT_END
        if end.tzinfo is None:
            end = end.replace(tzinfo=timezone.utc)
        self.n_orders, self.seed, self.end = n_orders, seed, end
        self._end_ts = int(end.timestamp())
        rng = random.Random(f"shop-{seed}")
        self.shop_name = rng.choice(P.SHOP_NAMES)
        self._warehouses = self._make_warehouses(rng)
        self._products = self._make_products(rng)
        self._skus = [(p, s) for p in self._products for s in p["skus"]]
        self._stock = self._make_stock(rng)
        self.n_buyers = min(n_orders, max(1, round(n_orders * BUYERS_PER_ORDER))) if n_orders else 0
        self._buyer_seq0 = len(self._warehouses) + len(self._products) + len(self._stock) + 1
        self._order_seq0 = self._buyer_seq0 + self.n_buyers
        self.last_seq = self._order_seq0 + n_orders - 1
        self._pools = P.name_pools(seed)
        self._salt = _mix(seed * 0x1000193)

    # ---- catalogue (small, built eagerly) --------------------------------------------------
    def _make_warehouses(self, rng: random.Random) -> list[dict]:
        count = 3 if rng.random() < 0.6 else 2
        return [{"id": i + 1, "seq": i + 1, "name": name, "code": code}
                for i, (name, code) in enumerate(P.WAREHOUSES[:count])]

    def _make_products(self, rng: random.Random) -> list[dict]:
        products, sku_id, seq = [], 0, len(self._warehouses)
        counters: dict[str, int] = {}
        for pid in range(1, 201):
            cat, prefix, (lo, hi), bottoms = rng.choice(P.CATEGORIES)
            counters[prefix] = counters.get(prefix, 0) + 1
            style_no = f"{prefix}26{rng.choice('ABCD')}{counters[prefix]:03d}"
            name = (f"{rng.choice(P.SEASONS)}{rng.choice(P.FITS)}{rng.choice(P.MATERIALS)}"
                    f"{rng.choice(P.DETAILS)}{cat}女")
            price = rng.randrange(lo, hi + 1, 1000)  # ranges start at x900: prices end in 9 (¥89, ¥129)
            colours = rng.sample(P.COLOURS, rng.randint(2, 4))
            sizes = P.NUMERIC_SIZES[rng.randint(0, 2):][:rng.randint(4, 6)] if bottoms else \
                P.LETTER_SIZES[rng.randint(0, 1):][:rng.randint(4, 6)]
            skus = []
            for colour, ccode in colours:
                for size in sizes:
                    sku_id += 1
                    plus = 1000 if size in ("XXL", "3XL") and price > 10000 else 0
                    skus.append({"id": sku_id, "outer_id": f"{style_no}-{ccode}-{size}",
                                 "colour": colour, "size": size, "page_price_cents": price + plus})
            seq += 1
            products.append({"id": pid, "seq": seq, "style_no": style_no, "name": name,
                             "category": cat, "page_price_cents": price, "skus": skus})
        return products

    def _make_stock(self, rng: random.Random) -> list[dict]:
        # page_qty draws from its own generator: the rest of the demo data stays as it was.
        rows, seq = [], len(self._warehouses) + len(self._products)
        for _, sku in self._skus:
            for w in self._warehouses:
                main = w["id"] == 1
                zero = rng.random() < (0.08 if main else 0.3)
                qty = 0 if zero else int(rng.expovariate(1 / (60 if main else 15))) + 1
                reserved = rng.randint(1, min(qty, 8)) if qty and rng.random() < 0.3 else 0
                seq += 1
                rows.append({"id": len(rows) + 1, "seq": seq, "sku_id": sku["id"],
                             "warehouse_id": w["id"], "qty": qty, "reserved": reserved,
                             "page_qty": page_qty(qty, reserved, sku["id"] * 31 + w["id"])})
        return rows

    def warehouses(self) -> list[dict]:
        return [dict(w) for w in self._warehouses]

    def products(self) -> list[dict]:
        return [{**p, "skus": [dict(s) for s in p["skus"]]} for p in self._products]

    def stock(self) -> list[dict]:
        return [dict(s) for s in self._stock]

    # ---- timeline -----------------------------------------------------------------------
    def _day_weights(self) -> list[float]:
        first = self.end - timedelta(days=DAYS)
        weights = []
        for d in range(DAYS):
            local = first + timedelta(days=d, hours=8)
            w = 0.5 + d / DAYS  # the shop grows
            w *= 1.15 if local.weekday() >= 5 else 1.0
            md = (local.month, local.day)
            if md == (11, 11):
                w *= 15
            elif local.month == 11 and local.day < 11:
                w *= 2  # 双十一 pre-sale
            elif md in ((6, 18), (12, 12)):
                w *= 5
            elif local.month == 2 and local.day < 20:
                w *= 0.4  # Spring Festival: couriers stop
            weights.append(w)
        return weights

    def _timeline(self) -> Iterator[tuple[int, int, bool]]:
        """(created_ts, buyer_id, new_buyer) for orders 1..n in created order."""
        n = self.n_orders
        if not n:
            return
        rng = random.Random(f"timeline-{self.seed}")
        cum = list(accumulate(self._day_weights()))
        total = cum[-1]
        start = self._end_ts - DAYS * 86400
        hours, hour_cum, promo_cum = range(24), list(accumulate(_HOUR_W)), list(accumulate(_HOUR_W_PROMO))
        made, introduced, to_introduce = 0, 0, self.n_buyers
        prev = 0
        for d in range(DAYS):
            upto = n * cum[d] // total if d < DAYS - 1 else n
            k, prev = int(upto) - prev, int(upto)
            if k <= 0:
                continue
            day0 = start + d * 86400
            hc = promo_cum if k > 3 * n / DAYS * 5 else hour_cum
            hs = rng.choices(hours, cum_weights=hc, k=k)
            times = sorted(day0 + h * 3600 + int(rng.random() * 3600) for h in hs)
            rnd = rng.random
            for ts in times:
                left = n - made
                if introduced == 0 or rnd() * left < to_introduce:
                    introduced += 1
                    to_introduce -= 1
                    yield ts, introduced, True
                else:
                    # Earlier buyers come back more often (loyal customers).
                    yield ts, 1 + int(introduced * rnd() ** 1.6), False
                made += 1

    # ---- buyers -------------------------------------------------------------------------
    def _buyer(self, bid: int) -> tuple[str, str, str, list[dict], str]:
        """(nick, name, phone, addresses, member_level) from a hash of the id."""
        p = self._pools
        h1 = _mix(self._salt ^ bid)
        h2 = _mix(h1)
        h3 = _mix(h2)
        sur = p.surnames[h1 % 2000]
        giv = p.givens[(h1 >> 11) % 2000]
        name = sur + giv
        phone = f"{P.MOBILE_PREFIXES[(h1 >> 22) % 35]}{(h1 >> 28) % 100_000_000:08d}"
        style, digits = (h2 % 100), (h2 >> 7) % 10000
        if style < 20:
            nick = f"tb{(h2 >> 21) % 10**10:010d}"
        elif style < 50:
            nick = f"{P.NICK_ADJ[(h2 >> 21) % 13]}{P.NICK_NOUN[(h2 >> 25) % 14]}" + (
                str(digits % 1000) if digits & 1 else "")
        elif style < 75:
            nick = f"{p.surname_py[sur]}{p.given_py[giv]}{1970 + digits % 40 if digits & 1 else digits % 100}"
        elif style < 90:
            nick = f"{p.english[(h2 >> 21) % len(p.english)]}_{digits:04d}"
        else:
            nick = f"{sur}{P.HONORIFICS[(h2 >> 21) % 4]}{digits % 100:02d}"
        lvl = h3 % 100
        level = "vip" if lvl < 8 else "member" if lvl < 30 else "normal"
        n_addr = 1 if (h3 >> 7) % 100 < 75 else 2 if (h3 >> 7) % 100 < 95 else 3
        addresses = []
        for a in range(n_addr):
            ha = _mix(h3 + a)
            prov, city, districts = P.REGIONS[ha % len(P.REGIONS)]
            gift = a > 0 and (ha >> 8) % 3 == 0  # a second address is often a friend's
            receiver = (p.surnames[(ha >> 10) % 2000] + p.givens[(ha >> 21) % 2000]) if gift else name
            rphone = f"1{(ha >> 32) % 10**10:010d}" if gift else phone
            rphone = rphone if not gift else P.MOBILE_PREFIXES[(ha >> 11) % 35] + rphone[3:]
            detail = (f"{p.streets[(ha >> 40) % len(p.streets)]}{(ha >> 48) % 999 + 1}号"
                      f"{P.COMMUNITIES[(ha >> 14) % len(P.COMMUNITIES)]}"
                      f"{(ha >> 18) % 30 + 1}栋{(ha >> 23) % 4 + 1}单元{(ha >> 26) % 30 + 1:d}0{(ha >> 31) % 6 + 1}室")
            addresses.append({"receiver": receiver, "phone": rphone, "province": prov, "city": city,
                              "district": districts[(ha >> 4) % len(districts)], "detail": detail})
        return nick, name, phone, addresses, level

    def buyers(self) -> Iterator[dict]:
        clock = _Clock()
        for ts, bid, new in self._timeline():
            if new:
                nick, name, phone, addresses, level = self._buyer(bid)
                yield {"id": bid, "seq": self._buyer_seq0 + bid - 1, "nick": nick, "name": name,
                       "phone": phone, "member_level": level, "first_order_at": clock.iso(ts),
                       "addresses": addresses}

    # ---- orders -------------------------------------------------------------------------
    def orders(self) -> Iterator[dict]:
        rng = random.Random(f"orders-{self.seed}")
        rnd, clock, end = rng.random, _Clock(), self._end_ts
        iso = clock.iso
        skus, sku_cum = self._skus, self._sku_popularity()
        line_id = 0
        for oid, (ts, bid, _) in enumerate(self._timeline(), start=1):
            nick, _, _, addresses, _ = self._buyer(bid)
            addr = addresses[0] if len(addresses) == 1 or rnd() < 0.7 else addresses[int(rnd() * len(addresses))]
            status = self._status(end - ts, rnd)
            cod = rnd() < 0.07
            n_lines = 1 if rnd() < 0.7 else 2 if rnd() < 0.75 else 3
            lines, subtotal = [], 0
            for product, sku in rng.choices(skus, cum_weights=sku_cum, k=n_lines):
                line_id += 1
                qty = 1 if rnd() < 0.9 else 2 if rnd() < 0.8 else 3
                price = sku["page_price_cents"]
                subtotal += qty * price
                lines.append({"id": line_id, "sku_id": sku["id"], "style_no": product["style_no"],
                              "product_name": product["name"], "colour": sku["colour"],
                              "size": sku["size"], "outer_id": sku["outer_id"], "qty": qty,
                              "unit_price_cents": price})
            shipping = 1500 if cod else (0 if rnd() < 0.85 else 600 + 200 * int(rnd() * 3))
            discount = 0 if cod or rnd() < 0.75 else min(subtotal // 2, (300, 500, 1000, 2000)[int(rnd() * 4)])
            paid = shipped = completed = closed = None
            carrier = tracking = None
            if status not in ("unpaid", "closed") or (status == "closed" and rnd() < 0.3):
                paid = min(end, ts + 10 + int(rnd() * 1800))
            if status in ("shipped", "completed", "refunding", "refunded") and paid is not None:
                if status in ("shipped", "completed") or rnd() < 0.5:
                    shipped = min(end, paid + 3600 + int(rnd() * 48 * 3600))
                    carrier = _CARRIER_NAMES[bisect.bisect(_CARRIER_CUM, rnd() * _CARRIER_CUM[-1])]
                    tracking = tracking_no(carrier, rng)
            if status == "completed":
                completed = min(end, (shipped or paid) + 2 * 86400 + int(rnd() * 6 * 86400))
            elif status == "closed":
                closed = min(end, (paid or ts) + 1800 + int(rnd() * 86400))
            elif status == "refunded":
                closed = min(end, (shipped or paid) + 86400 + int(rnd() * 9 * 86400))
            if cod:
                paid = completed  # cash is collected on delivery
            remark, flag, remark_by, remark_at = "", 0, None, None
            if (cod and rnd() < 0.5) or rnd() < 0.06:
                remark = P.COD_REMARK if cod else P.REMARKS[int(rnd() * len(P.REMARKS))]
                flag = 1 if rnd() < 0.6 else 2 + int(rnd() * 4)
                remark_by = P.AGENT_NOS[int(rnd() * len(P.AGENT_NOS))]
                remark_at = iso(min(end, ts + 60 + int(rnd() * 7200)))
            yield {
                "id": oid, "seq": self._order_seq0 + oid - 1, "order_no": clock.order_no(oid, ts),
                "buyer_id": bid, "buyer_nick": nick, "status": status,
                "payment_method": "cod" if cod else "online",
                "total_cents": max(0, subtotal + shipping - discount), "shipping_cents": shipping,
                "discount_cents": discount, "receiver_name": addr["receiver"],
                "receiver_phone": addr["phone"], "province": addr["province"], "city": addr["city"],
                "district": addr["district"], "address_detail": addr["detail"],
                "carrier": carrier, "tracking_no": tracking, "created_at": iso(ts),
                "paid_at": iso(paid) if paid is not None else None,
                "shipped_at": iso(shipped) if shipped is not None else None,
                "completed_at": iso(completed) if completed is not None else None,
                "closed_at": iso(closed) if closed is not None else None,
                "remark": remark, "remark_flag": flag, "remark_by": remark_by, "remark_at": remark_at,
                "remark_version": 1 if remark else 0,
                "lines": lines,
            }

    def _sku_popularity(self) -> list[float]:
        """A few styles sell most (a long tail): Zipf-like weights by product id."""
        rng = random.Random(f"popularity-{self.seed}")
        rank = {p["id"]: r for r, p in enumerate(rng.sample(self._products, len(self._products)), 1)}
        return list(accumulate(1.0 / rank[p["id"]] ** 0.8 for p, _ in self._skus))

    @staticmethod
    def _status(age: int, rnd) -> str:
        for limit, names, cum in _STATUS_TABLE:
            if limit is None or age < limit:
                return names[bisect.bisect(cum, rnd() * cum[-1])]
        raise AssertionError("unreachable")


def page_qty(qty: int, reserved: int, key: int) -> int:
    """What the shop page shows: usually what is free to sell, but the page is updated by
    hand, so about one row in five is out of step (stale counts, a sold-out SKU still
    offered, stock that the page hides)."""
    rng = random.Random(key)
    free = max(0, qty - reserved)
    roll = rng.random()
    if roll < 0.08:
        return free + rng.randint(1, 20)           # the page promises more than there is
    if roll < 0.14 and free > 0:
        return 0                                   # shown sold out, but there is stock
    if roll < 0.20:
        return max(0, free - rng.randint(1, 10))   # a stale, lower count
    return free
