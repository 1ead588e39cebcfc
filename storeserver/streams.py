"""Reading the five streams as wire entities, with Core selects only.

A page is one select on the stream table plus, for products and orders, ONE select of the
children of every entity on the page (no per-row queries, no ORM objects). Entities are
plain dicts whose datetimes are naive UTC; `api.dumps` turns them into wire JSON.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from .models import STREAM_TABLES, OrderLine, Sku, Tombstone

_lines = OrderLine.__table__
_skus = Sku.__table__
_tombs = Tombstone.__table__

# The wire fields of each stream, in protocol order (children are attached separately).
FIELDS: dict[str, tuple[str, ...]] = {
    "warehouses": ("id", "seq", "name", "code"),
    "products": ("id", "seq", "style_no", "name", "category", "page_price_cents"),
    "stock": ("id", "seq", "sku_id", "warehouse_id", "qty", "reserved"),
    "buyers": ("id", "seq", "nick", "name", "phone", "member_level", "first_order_at", "addresses"),
    "orders": ("id", "seq", "order_no", "buyer_id", "buyer_nick", "status", "payment_method",
               "total_cents", "shipping_cents", "discount_cents", "receiver_name", "receiver_phone",
               "province", "city", "district", "address_detail", "carrier", "tracking_no",
               "created_at", "paid_at", "shipped_at", "completed_at", "closed_at",
               "remark", "remark_flag", "remark_by", "remark_at"),
}
SKU_FIELDS = ("id", "outer_id", "colour", "size", "page_price_cents")
LINE_FIELDS = ("id", "sku_id", "style_no", "product_name", "colour", "size", "outer_id", "qty",
               "unit_price_cents")


@dataclass(frozen=True)
class ShopState:
    seq: int
    epoch: int
    purged_seq: int


def shop_state(conn: Connection, shop_id: int) -> ShopState:
    from .models import Shop

    row = conn.execute(select(Shop.seq, Shop.epoch, Shop.purged_seq).where(Shop.id == shop_id)).one()
    return ShopState(row.seq, row.epoch, row.purged_seq)


def _rows_as_dicts(result, fields: tuple[str, ...]) -> list[dict]:
    return [dict(zip(fields, row)) for row in result]


def _entity_select(stream: str, shop_id: int):
    t = STREAM_TABLES[stream]
    return select(*(t.c[f] for f in FIELDS[stream])).where(t.c.shop_id == shop_id)


def attach_children(conn: Connection, stream: str, items: list[dict]) -> list[dict]:
    """Products get `skus`, orders get `lines`: one query for the whole page."""
    if stream not in ("products", "orders") or not items:
        return items
    if stream == "products":
        child, parent_col, fields, key = _skus, _skus.c.product_id, SKU_FIELDS, "skus"
    else:
        child, parent_col, fields, key = _lines, _lines.c.order_id, LINE_FIELDS, "lines"
    ids = [it["id"] for it in items]
    q = (select(parent_col, *(child.c[f] for f in fields))
         .where(parent_col.in_(ids)).order_by(parent_col, child.c.id))
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in conn.execute(q):
        grouped[row[0]].append(dict(zip(fields, row[1:])))
    for it in items:
        it[key] = grouped.get(it["id"], [])
    return items


def snapshot_items(conn: Connection, stream: str, shop_id: int, snapshot_seq: int,
                   before_id: int | None, limit: int) -> list[dict]:
    """Up to `limit` entities with seq <= snapshot_seq and id < before_id, id descending."""
    t = STREAM_TABLES[stream]
    q = _entity_select(stream, shop_id).where(t.c.seq <= snapshot_seq)
    if before_id is not None:
        q = q.where(t.c.id < before_id)
    items = _rows_as_dicts(conn.execute(q.order_by(t.c.id.desc()).limit(limit)), FIELDS[stream])
    return attach_children(conn, stream, items)


def snapshot_total(conn: Connection, stream: str, shop_id: int, snapshot_seq: int) -> int:
    t = STREAM_TABLES[stream]
    q = select(func.count()).select_from(t).where(t.c.shop_id == shop_id, t.c.seq <= snapshot_seq)
    return conn.execute(q).scalar_one()


def changes(conn: Connection, stream: str, shop_id: int, after_seq: int, upto_seq: int,
            limit: int) -> tuple[list[dict], bool]:
    """Upserts and tombstones with after_seq < seq <= upto_seq, ascending; and has_more.

    `upto_seq` is the shop's sequence read at the start of the request: every writer with a
    smaller number has committed (the shop row lock serializes them), so nothing below it
    can still appear and the page never skips a change.
    """
    t = STREAM_TABLES[stream]
    uq = (_entity_select(stream, shop_id)
          .where(t.c.seq > after_seq, t.c.seq <= upto_seq).order_by(t.c.seq).limit(limit + 1))
    upserts = _rows_as_dicts(conn.execute(uq), FIELDS[stream])
    tq = (select(_tombs.c.seq, _tombs.c.entity_id)
          .where(_tombs.c.shop_id == shop_id, _tombs.c.stream == stream,
                 _tombs.c.seq > after_seq, _tombs.c.seq <= upto_seq)
          .order_by(_tombs.c.seq).limit(limit + 1))
    tombs = [{"seq": s, "op": "delete", "id": i} for s, i in conn.execute(tq)]
    merged = [{"seq": it["seq"], "op": "upsert", "item": it} for it in upserts] + tombs
    merged.sort(key=lambda c: c["seq"])
    page, has_more = merged[:limit], len(merged) > limit
    attach_children(conn, stream, [c["item"] for c in page if c["op"] == "upsert"])
    return page, has_more


def fetch_entities(conn: Connection, stream: str, shop_id: int, ids: list[int]) -> list[dict]:
    """Current wire form of some entities (tests, tools)."""
    t = STREAM_TABLES[stream]
    q = _entity_select(stream, shop_id).where(t.c.id.in_(ids)).order_by(t.c.id)
    return attach_children(conn, stream, _rows_as_dicts(conn.execute(q), FIELDS[stream]))
