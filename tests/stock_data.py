"""Real cache files with a catalogue and stock, filled through the real apply path.

`small_shop()` is a hand-made catalogue whose figures the tests can reason about;
`demo_shop()` is the demo generator's catalogue (200 styles, ~3,000 SKUs, 2-3 warehouses).
"""
from __future__ import annotations

from pathlib import Path

WAREHOUSES = [{"id": 1, "seq": 1, "name": "杭州主仓", "code": "HZ"},
              {"id": 2, "seq": 2, "name": "广州仓", "code": "GZ"}]


def _product(pid: int, style_no: str, name: str, category: str, colours, sizes, price: int, first_sku: int) -> dict:
    skus, sid = [], first_sku
    for colour, code in colours:
        for size in sizes:
            skus.append({"id": sid, "outer_id": f"{style_no}-{code}-{size}", "colour": colour, "size": size,
                         "page_price_cents": price})
            sid += 1
    return {"id": pid, "seq": 10 + pid, "style_no": style_no, "name": name, "category": category,
            "page_price_cents": price, "skus": skus}


def small_products() -> list[dict]:
    return [
        # SKUs 1-6: 白色 S M L, 黑色 S M L
        _product(1, "A1023", "纯棉圆领T恤", "T恤", [("白色", "W"), ("黑色", "K")], ["S", "M", "L"], 4900, 1),
        # SKUs 7-10: 雾霾蓝 M L, 白色 M L
        _product(2, "A2088", "宽松短袖T恤", "T恤", [("雾霾蓝", "HB"), ("白色", "W")], ["M", "L"], 5900, 7),
        # SKUs 11-12
        _product(3, "B3001", "法式碎花连衣裙", "连衣裙", [("樱花粉", "PK")], ["M", "L"], 15900, 11),
        # SKUs 13-14: same category as A1023, nothing in stock
        _product(4, "A3100", "莫代尔V领T恤", "T恤", [("黑色", "K")], ["M", "L"], 6900, 13),
    ]


# (sku, warehouse) -> (qty, reserved); ids follow this order
SMALL_STOCK = {
    (1, 1): (12, 3), (1, 2): (0, 0),
    (2, 1): (5, 5), (2, 2): (2, 0),
    (3, 1): (0, 0), (3, 2): (0, 0),  # 白色 L: out everywhere
    (4, 1): (20, 0), (4, 2): (1, 0),
    (5, 1): (3, 4), (5, 2): (0, 0),  # 黑色 M: oversold (available -1)
    (6, 1): (8, 0), (6, 2): (0, 0),
    (7, 1): (0, 0), (7, 2): (0, 0),
    (8, 1): (6, 1), (8, 2): (0, 0),  # 雾霾蓝 L
    (9, 1): (2, 0), (9, 2): (0, 0),
    (10, 1): (9, 0), (10, 2): (4, 0),  # A2088 白色 L: the best similar style for 白色 L
    (11, 1): (7, 0), (11, 2): (0, 0),
    (12, 1): (0, 0), (12, 2): (0, 0),
    (13, 1): (0, 0), (13, 2): (0, 0),
    (14, 1): (0, 0), (14, 2): (0, 0),
}


def small_stock() -> list[dict]:
    rows = []
    for i, ((sku, wh), (qty, reserved)) in enumerate(SMALL_STOCK.items(), start=1):
        rows.append({"id": i, "seq": 100 + i, "sku_id": sku, "warehouse_id": wh, "qty": qty, "reserved": reserved,
                     "page_qty": max(0, qty - reserved)})  # the shop page agrees unless a test says not
    return rows


def stock_id(sku: int, warehouse: int) -> int:
    return list(SMALL_STOCK).index((sku, warehouse)) + 1


def fill(engine, warehouses, products, stock) -> None:
    from workstation.models.apply import apply_snapshot_page

    for stream, items in (("warehouses", warehouses), ("products", products), ("stock", stock)):
        apply_snapshot_page(engine, stream, items, next_cursor=None, done=True, feed_cursor="feed-0",
                            total=len(items))


def small_shop(path: Path):
    """An open Cache with the small catalogue."""
    from workstation.models.db import open_cache

    path.parent.mkdir(parents=True, exist_ok=True)
    cache = open_cache(path)
    fill(cache.engine, WAREHOUSES, small_products(), small_stock())
    return cache


def demo_shop(path: Path, seed: int = 1):
    """An open Cache with the demo generator's catalogue and stock; returns (cache, shop)."""
    from storeserver.demodata import generate
    from workstation.models.db import open_cache

    shop = generate(0, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    cache = open_cache(path)
    fill(cache.engine, shop.warehouses(), shop.products(), shop.stock())
    return cache, shop


def add_page_column(engine, figures: dict[int, int] | None = None) -> None:
    """What the page-figure migration will do (issue 8's server side): add `stock.page_qty`
    and set it for the given stock ids. Only for tests of the page/real mismatch path."""
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if not any(r[1] == "page_qty" for r in raw.execute("PRAGMA table_info(stock)")):
            raw.execute("ALTER TABLE stock ADD COLUMN page_qty INTEGER")
        for sid, page in (figures or {}).items():
            raw.execute("UPDATE stock SET page_qty = ? WHERE id = ?", (page, sid))


def set_stock(engine, sku: int, warehouse: int, qty: int, reserved: int, seq: int = 5000):
    """A stock feed page through the real apply path; returns its ChangeSet."""
    from workstation.models.apply import apply_changes

    sid = stock_id(sku, warehouse)
    qty0, reserved0 = SMALL_STOCK[(sku, warehouse)]
    item = {"id": sid, "seq": seq, "sku_id": sku, "warehouse_id": warehouse, "qty": qty, "reserved": reserved,
            "page_qty": max(0, qty0 - reserved0)}  # the shop page has not caught up
    return apply_changes(engine, "stock", [{"seq": seq, "op": "upsert", "item": item}], next_cursor=f"feed-{seq}")


def make_order_with_lines(order_id: int, *, status: str = "paid", lines=((1, 1),)) -> dict:
    """A wire order (the UI tests' shape) whose lines are the given (sku, qty) of the small shop."""
    from tests.ui.helpers import make_order

    by_id = {s["id"]: (p, s) for p in small_products() for s in p["skus"]}
    order_lines = []
    for n, (sku, qty) in enumerate(lines, start=1):
        product, s = by_id.get(sku, ({"style_no": "?", "name": "?"}, {"colour": "?", "size": "?", "outer_id": "?",
                                                                        "page_price_cents": 100}))
        order_lines.append({"id": order_id * 10 + n, "sku_id": sku, "style_no": product["style_no"],
                            "product_name": product["name"], "colour": s["colour"], "size": s["size"],
                            "outer_id": s["outer_id"], "qty": qty, "unit_price_cents": s["page_price_cents"]})
    return make_order(order_id, status=status, lines=order_lines)
