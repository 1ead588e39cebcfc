"""Typed ORM models of the cached tables.

The tables themselves are created by the Alembic migrations in `migrations/` (the
migrations are the source of truth for the file format; a test checks that these models
and the migrated schema agree). Primary keys are the server's ids; `seq` is the server's
change sequence of the row's last change and doubles as its version.

The FTS5 table `orders_fts` is not mapped (the ORM cannot express it); `models.fts` keeps
it in step with `orders` (inside apply's transactions) and describes its tokens
(contentless, detail=none; Chinese character pairs, trigrams of the other characters, the
surname). rowid = orders.id, so `ORDER BY rowid DESC` is newest first. Phones (by their last 4
digits) and exact order/tracking numbers use B-tree indexes. `orders_count` holds the number
of cached orders, kept by `models.apply` (0011; by triggers from 0005 to 0010), so counting is O(1).
Code that changes searchable order fields outside `models.apply` must re-index them with
`models.fts` (local writes so far - remarks - do not touch them).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, CheckConstraint, Computed, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from workstation.models import timefmt

FTS_TABLE = "orders_fts"

OUTBOX_STATUSES = ("pending", "inflight", "done", "conflict", "rejected")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetime stored as canonical ISO text (see `timefmt`)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return timefmt.to_db(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return timefmt.from_db(value)


class UtcEpoch(TypeDecorator[datetime]):
    """Aware UTC datetime stored as integer Unix seconds (0009: orders' and buyers' times, 4
    bytes instead of 20). Apply writes it in SQL (`timefmt.EPOCH_SQL`)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        return timefmt.to_epoch(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return timefmt.from_db(value)


# A buyer's addresses are stored as JSON arrays in this key order (0009), not as objects
# repeating every key: [["王芳", "139...", "浙江省", "杭州市", "西湖区", "文三路..."], ...].
# An address with other keys than exactly these (none from a valid page) stays an object.
ADDRESS_KEYS = ("receiver", "phone", "province", "city", "district", "detail")
_ADDRESS_KEY_SET = frozenset(ADDRESS_KEYS)


def pack_addresses(addresses: list[dict[str, Any]] | None) -> str:
    return orjson.dumps([[a[k] for k in ADDRESS_KEYS] if a.keys() == _ADDRESS_KEY_SET else a
                         for a in addresses or ()]).decode()


def unpack_addresses(text: str | None) -> list[dict[str, Any]]:
    return [a if isinstance(a, dict) else dict(zip(ADDRESS_KEYS, a)) for a in orjson.loads(text or "[]")]


class AddressList(TypeDecorator[list]):
    """A buyer's addresses as compact JSON arrays (`ADDRESS_KEYS` order)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else pack_addresses(value)

    def process_result_value(self, value: Any, dialect: Any) -> list[dict[str, Any]] | None:
        return None if value is None else unpack_addresses(value)


# Order statuses and payment methods are stored as their index here (0009): SQLite stores
# 0 and 1 in no bytes at all and the rest in one, so the commonest come first. Part of the file
# format: append only. `order_status` / `payment_method` (and the ORM types) give the names.
ORDER_STATUS_CODES = ("completed", "closed", "refunded", "shipped", "paid", "refunding", "documents_made", "unpaid")
PAYMENT_METHOD_CODES = ("online", "cod")
ORDER_STATUS = {name: code for code, name in enumerate(ORDER_STATUS_CODES)}
PAYMENT_METHOD = {name: code for code, name in enumerate(PAYMENT_METHOD_CODES)}


def order_status(code: int | str) -> str:
    """A stored order status -> its name (a name, as older test files hold, stays itself)."""
    return ORDER_STATUS_CODES[code] if code.__class__ is int else code  # type: ignore[index,return-value]


def payment_method(code: int | str) -> str:
    return PAYMENT_METHOD_CODES[code] if code.__class__ is int else code  # type: ignore[index,return-value]


class Coded(TypeDecorator[str]):
    """One of a fixed set of names, stored as its index in `names` (0009)."""

    impl = Integer
    cache_ok = True

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        return None if value is None else self.names.index(value)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.names[value]


def order_number(stored: int | str) -> str:
    """A stored order number -> its text (0010): an integer is the 18 digits it was, leading
    zeros included (`wire.OrderNo`); text (older test files' `SO-...`) stays itself."""
    return f"{stored:018d}" if stored.__class__ is int else stored  # type: ignore[return-value]


# The same in SQL, for raw readers and the search's row check: `ORDER_NO_SQL.format("o.order_no")`.
ORDER_NO_SQL = "iif(typeof({0}) = 'integer', printf('%018d', {0}), {0})"


class OrderNumber(TypeDecorator[str]):
    """An 18-digit order number stored as an INTEGER (0010: 8 bytes instead of 18, in the row
    and in its unique index). The column's INTEGER affinity turns the wire's digits into the
    number on INSERT (apply binds the text); readers format it back with `order_number`."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | str | None:
        return int(value) if isinstance(value, str) and value.isdigit() and len(value) == 18 else value

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else order_number(value)


class Interned(TypeDecorator[int]):
    """A reference to a row of a small table that stores a few wire fields once (0010: an
    order's province, city and district are a `Place`). Apply writes it in SQL from those
    fields (`lookup_sql`) after inserting the page's new combinations (`new_rows_sql`)."""

    impl = Integer
    cache_ok = True

    def __init__(self, table: str, fields: tuple[str, ...]) -> None:
        super().__init__()
        self.table, self.fields = table, fields

    @property
    def lookup_sql(self) -> str:
        where = " AND ".join(f"{f} = ?" for f in self.fields)
        return f"(SELECT id FROM {self.table} WHERE {where})"

    @property
    def new_rows_sql(self) -> str:
        """One parameter: a JSON array of the fields' value arrays."""
        picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(self.fields)))
        return (f"INSERT OR IGNORE INTO {self.table} ({', '.join(self.fields)}) "
                f"SELECT {picks} FROM json_each(?)")


PLACE_FIELDS = ("province", "city", "district")


class Base(DeclarativeBase):
    pass


class Warehouse(Base):
    __tablename__ = "warehouses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    style_no: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    page_price_cents: Mapped[int] = mapped_column(Integer)


class Sku(Base):
    """A product's SKU; travels inside its product and is replaced with it."""

    __tablename__ = "skus"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    outer_id: Mapped[str] = mapped_column(Text, index=True)
    colour: Mapped[str] = mapped_column(Text)
    size: Mapped[str] = mapped_column(Text)
    page_price_cents: Mapped[int] = mapped_column(Integer)


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (Index("ix_stock_sku_warehouse", "sku_id", "warehouse_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    sku_id: Mapped[int] = mapped_column(Integer)
    warehouse_id: Mapped[int] = mapped_column(Integer)
    qty: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    page_qty: Mapped[int] = mapped_column(Integer, server_default="0")  # 0004


class RemarkHistory(Base):
    """Remark writes as the server recorded them (the `remarks` stream, 0004)."""

    __tablename__ = "remark_history"
    __table_args__ = (Index("ix_remark_history_order_id", "order_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    flag: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    agent_no: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    mutation_id: Mapped[str | None] = mapped_column(Text)


class Buyer(Base):
    __tablename__ = "buyers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    nick: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    member_level: Mapped[str] = mapped_column(Text)
    first_order_at: Mapped[datetime | None] = mapped_column(UtcEpoch)  # 0009
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(AddressList)  # 0009


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_order_no", "order_no", unique=True),
        Index("ix_orders_tracking_no", "tracking_no"),
        Index("ix_orders_buyer_status", "buyer_id", "status"),  # a buyer's refunds, from the index (0008)
        Index("ix_orders_phone_last4", "phone_last4"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    order_no: Mapped[str] = mapped_column(OrderNumber)  # 0010
    buyer_id: Mapped[int] = mapped_column(Integer)
    buyer_nick: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Coded(ORDER_STATUS_CODES))  # 0009
    payment_method: Mapped[str] = mapped_column(Coded(PAYMENT_METHOD_CODES))  # 0009
    total_cents: Mapped[int] = mapped_column(Integer)
    shipping_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer)
    receiver_name: Mapped[str] = mapped_column(Text)
    receiver_phone: Mapped[str] = mapped_column(Text)
    # Virtual generated column: costs only its index entry; makes "last 4 digits" a seek.
    phone_last4: Mapped[str] = mapped_column(Text, Computed("substr(receiver_phone, -4)", persisted=False))
    # province, city, district: a `Place` (0010; read with `orders o JOIN places p ON p.id = o.place_id`)
    place_id: Mapped[int] = mapped_column(Interned("places", PLACE_FIELDS))
    address_detail: Mapped[str] = mapped_column(Text)
    carrier: Mapped[str | None] = mapped_column(Text)
    tracking_no: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcEpoch)  # 0009
    paid_at: Mapped[datetime | None] = mapped_column(UtcEpoch)  # 0009
    shipped_at: Mapped[datetime | None] = mapped_column(UtcEpoch)  # 0009
    completed_at: Mapped[datetime | None] = mapped_column(UtcEpoch)  # 0009
    closed_at: Mapped[datetime | None] = mapped_column(UtcEpoch)  # 0009
    remark: Mapped[str] = mapped_column(Text)
    remark_flag: Mapped[int] = mapped_column(Integer)
    remark_by: Mapped[str | None] = mapped_column(Text)
    remark_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    remark_version: Mapped[int] = mapped_column(Integer, server_default="0")  # 0004


class OrdersCount(Base):
    """One row: how many orders are cached (0005; kept by `models.apply` since 0011, by triggers before)."""

    __tablename__ = "orders_count"
    __table_args__ = (CheckConstraint("id = 1", name="ck_orders_count_one_row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class OrderLine(Base):
    """A line of an order; travels inside its order and is replaced with it. What it sold
    (SKU, style, name, colour, size, outer id as the order recorded them) is a `SoldItem`
    shared by every line that sold the same thing (0009)."""

    __tablename__ = "order_lines"
    # WITHOUT ROWID, keyed by (order_id, id): an order's lines are one range of the table (0009)
    __table_args__ = {"sqlite_with_rowid": False}
    order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer)
    qty: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)


class SoldItem(Base):
    """What order lines sold, as the orders recorded it, stored once (0009): a few thousand
    rows for a million lines. Rows are never changed: a product renamed later is a new row
    for its new orders, and the old lines keep the name they were sold under."""

    __tablename__ = "sold_items"
    __table_args__ = (Index("ux_sold_items", "sku_id", "outer_id", "style_no", "product_name", "colour", "size",
                            unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku_id: Mapped[int] = mapped_column(Integer)
    style_no: Mapped[str] = mapped_column(Text)
    product_name: Mapped[str] = mapped_column(Text)
    colour: Mapped[str] = mapped_column(Text)
    size: Mapped[str] = mapped_column(Text)
    outer_id: Mapped[str] = mapped_column(Text)


class Place(Base):
    """An order's province, city and district, stored once (0010): a few thousand rows for
    a million orders. Rows are never changed or removed."""

    __tablename__ = "places"
    __table_args__ = (Index("ux_places", *PLACE_FIELDS, unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(Text)


class Conversation(Base):
    """A buyer's chat with the shop (the `conversations` stream, 0006). `version` changes on
    claim, transfer, close and reopen only; `seq` on every change (a buyer message too)."""

    __tablename__ = "conversations"
    __table_args__ = (
        # the queue: open conversations, longest waiting first
        Index("ix_conversations_queue", "status", "waiting_since"),
        Index("ix_conversations_assigned", "assigned_agent_no", "status"),
        Index("ix_conversations_buyer", "buyer_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    buyer_id: Mapped[int] = mapped_column(Integer)
    buyer_nick: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # "open" | "closed"
    assigned_agent_no: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_message_id: Mapped[int | None] = mapped_column(Integer)
    last_message_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_message_sender: Mapped[str | None] = mapped_column(Text)
    last_message_preview: Mapped[str] = mapped_column(Text)
    unread: Mapped[int] = mapped_column(Integer)
    read_upto_message_id: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer)
    transfer_note: Mapped[str | None] = mapped_column(Text)
    transferred_by: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Message(Base):
    """One chat message (the `messages` stream, 0006): immutable, append-only."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation", "conversation_id", "id"),  # a history, in order
        Index("ix_messages_client_id", "client_id"),  # a queued reply's message has arrived
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(Text)  # "buyer" | "agent" | "auto" | "system"
    agent_no: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    client_id: Mapped[str | None] = mapped_column(Text)


class ShopAgent(Base):
    """A member of the shop's staff (the `agents` stream, 0006)."""

    __tablename__ = "agents"
    __table_args__ = (Index("ix_agents_agent_no", "agent_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    agent_no: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)  # "agent" | "manager"
    status: Mapped[str] = mapped_column(Text)  # "receiving" | "paused" | "offline"
    capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)


class ShopSettings(Base):
    """The shop's own settings (the `shop_settings` stream, 0007): one row, id = the shop id.
    `version` changes on every `shop.settings` write; `cutoff_time` is "HH:MM" China time."""

    __tablename__ = "shop_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    shop_name: Mapped[str] = mapped_column(Text)
    auto_reply_enabled: Mapped[bool] = mapped_column(Boolean)
    auto_reply_text: Mapped[str] = mapped_column(Text)
    cutoff_time: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Phrase(Base):
    """A quick phrase (快捷短语; the `phrases` stream, 0007): the team's (`owner_agent_no`
    NULL) or this agent's own. The text may hold `{variable}`s, filled by `models.phrases`."""

    __tablename__ = "phrases"
    __table_args__ = (Index("ix_phrases_owner", "owner_agent_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    owner_agent_no: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    shortcut: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BuyerNote(Base):
    """A note about a buyer every colleague sees (the `buyer_notes` stream, 0007):
    immutable, append-only; `client_id` = the mutation id it was written with."""

    __tablename__ = "buyer_notes"
    __table_args__ = (
        Index("ix_buyer_notes_buyer", "buyer_id", "id"),  # a buyer's notes, in order
        Index("ix_buyer_notes_client_id", "client_id"),  # a queued note's entry has arrived
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    buyer_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    agent_no: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    client_id: Mapped[str | None] = mapped_column(Text)


class PhraseUse(Base):
    """LOCAL ONLY (0007, never synced): how often this agent inserted a phrase, and when
    last; the picker ranks by it."""

    __tablename__ = "phrase_use"
    phrase_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uses: Mapped[int] = mapped_column(Integer)
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncState(Base):
    """Where each stream stands: the cursor is committed with the page it covers."""

    __tablename__ = "sync_state"
    stream: Mapped[str] = mapped_column(String, primary_key=True)
    phase: Mapped[str] = mapped_column(Text)  # "snapshot" | "reload" | "feed"
    cursor: Mapped[str | None] = mapped_column(Text)
    feed_cursor: Mapped[str | None] = mapped_column(Text)
    total: Mapped[int | None] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer)
    last_synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # 0002: the last attempt and, when it failed, a short reason for the status bar
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # 0003: while a stream reloads beside its old rows, the lowest id confirmed so far
    reload_floor: Mapped[int | None] = mapped_column(Integer)


class Outbox(Base):
    """A local write waiting to reach the server; `mutation_id` is the idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_entity", "entity", "entity_id", "ordinal"),
        CheckConstraint(
            "status IN ('pending', 'inflight', 'done', 'conflict', 'rejected')", name="ck_outbox_status"
        ),
    )
    mutation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    base_version: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(Text, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # 0004: the order writes were made in (per entity, they reach the server in this order)
    ordinal: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(Text)  # the server's code when rejected
    # what the row does to its entity in the cache (the fields it sets, as stored)
    local_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the server's state of those fields when the write was made (the merge view's "base")
    base_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the server's answer (applied: the new state; conflict: the current state)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutboxShadow(Base):
    """The server's state of the fields that unsent writes overlay in the cache (0004).

    While a write waits, the cached row shows the server's state with the waiting writes
    applied on top; the server's own state is kept here, so a feed page, a discard or an
    answer can recompute the row. One row per (kind, entity) with a waiting or recent write."""

    __tablename__ = "outbox_shadow"
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
