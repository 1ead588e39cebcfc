"""The synced streams of the cache, declared once each.

A stream is one declaration here (its cached table, the child rows that travel inside it,
whether it feeds the order search, its pull priority and its share of a first load). The
apply code, the sync state, the puller's order and its progress weights all derive from
this table; the wire layer (`sync.wire.ENTITY_TYPES`) and the server
(`storeserver.streams.STREAMS`) hold their own one declaration each, and a test checks that
the three agree on names and fields.

Adding a stream: its ORM model in `schema.py` plus a migration, one `CacheStream` below,
its entity `TypedDict` in `sync/wire.py`, and its `ServerStream` on the server.
"""
from __future__ import annotations

from dataclasses import dataclass

from workstation.models.schema import (Base, Buyer, BuyerNote, Conversation, Message, Order, OrderLine, Phrase,
                                       Product, RemarkHistory, ShopAgent, ShopSettings, Sku, SoldItem, Stock,
                                       Warehouse)


@dataclass(frozen=True)
class Child:
    """Rows that travel inside their parent entity (an order's lines) and are replaced with it."""

    model: type[Base]
    key: str  # the list's key in the wire entity, e.g. "lines"
    parent_column: str  # the child column that holds the parent's id, e.g. "order_id"
    # Fields stored once in a table of their own and referenced by `item_column` (0009: what
    # an order line sold is a `SoldItem`); the child table keeps the others.
    items: type[Base] | None = None
    item_column: str | None = None


@dataclass(frozen=True)
class CacheStream:
    name: str
    model: type[Base]
    # Lower first: the first load goes in this order, and a wake-up for a stream of higher
    # priority is served between the pages of a long catch-up of a lower one.
    priority: int
    weight: float  # share of a first load (the progress bar); orders dominate a shop's data
    child: Child | None = None
    searchable: bool = False  # keeps the order search indexes (models.fts) in step
    # A one-row table holding the number of cached rows (O(1) counts), kept by `models.apply`
    # in the transaction that inserts or deletes them (0011: no per-row triggers).
    count_table: str | None = None

    @property
    def table(self) -> str:
        return self.model.__tablename__


_DECLARED = (
    # The chat first: an agent's queue is there before the order history (docs/PROTOCOL.md).
    CacheStream("conversations", Conversation, priority=1, weight=0.01),
    CacheStream("messages", Message, priority=2, weight=0.02),
    CacheStream("agents", ShopAgent, priority=3, weight=0.001),
    # Answering fast (issue 10): the shop's settings and the phrase library are small and
    # the agent needs them from the first reply; buyer notes come with the buyers.
    CacheStream("shop_settings", ShopSettings, priority=4, weight=0.0001),
    CacheStream("phrases", Phrase, priority=5, weight=0.002),
    CacheStream("warehouses", Warehouse, priority=10, weight=0.005),
    CacheStream("products", Product, priority=20, weight=0.03,
                child=Child(Sku, "skus", "product_id")),
    CacheStream("stock", Stock, priority=30, weight=0.065),
    CacheStream("remarks", RemarkHistory, priority=35, weight=0.01),
    CacheStream("buyers", Buyer, priority=40, weight=0.15),
    CacheStream("buyer_notes", BuyerNote, priority=45, weight=0.005),
    CacheStream("orders", Order, priority=50, weight=0.7019,
                child=Child(OrderLine, "lines", "order_id", items=SoldItem, item_column="item_id"),
                searchable=True, count_table="orders_count"),
)

STREAMS: dict[str, CacheStream] = {s.name: s for s in sorted(_DECLARED, key=lambda s: s.priority)}
STREAM_NAMES: tuple[str, ...] = tuple(STREAMS)  # in priority order
# Local-only tables a ChangeSet may name like a stream (never synced): the agent's own use
# of each quick phrase (`models.phrases.record_use`), which the picker ranks by.
LOCAL_STREAMS: tuple[str, ...] = ("phrase_use",)


def get_stream(name: str) -> CacheStream:
    try:
        return STREAMS[name]
    except KeyError:
        raise ValueError(f"unknown stream {name!r}; expected one of {', '.join(STREAM_NAMES)}") from None
